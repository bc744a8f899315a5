#include "experiments/data/batches.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <ATen/ATen.h>

namespace attnsweep {

Crop CropFromName(const std::string& name) {
  if (name == "last") return Crop::kLast;
  if (name == "first") return Crop::kFirst;
  if (name == "random") return Crop::kRandom;
  throw std::invalid_argument("unknown crop '" + name + "' (last, first or random)");
}

TransactionBatch MakeBatch(const TransactionDataset& dataset, const std::vector<int64_t>& customers,
                           int64_t max_len, Crop crop, std::mt19937_64* rng) {
  const int64_t batch = static_cast<int64_t>(customers.size());
  std::vector<int64_t> starts(customers.size()), counts(customers.size());
  int64_t longest = 1;
  for (size_t i = 0; i < customers.size(); ++i) {
    const int64_t length = dataset.length(customers[i]);
    counts[i] = std::min(length, max_len);
    int64_t skip = 0;
    if (crop == Crop::kLast) skip = length - counts[i];
    if (crop == Crop::kRandom && length > counts[i]) {
      skip = std::uniform_int_distribution<int64_t>(0, length - counts[i])(*rng);
    }
    starts[i] = dataset.offsets[customers[i]] + skip;
    longest = std::max(longest, counts[i]);
  }
  const auto as_long = at::TensorOptions(at::kLong);
  auto mcc = at::zeros({batch, longest}, as_long), type = at::zeros({batch, longest}, as_long);
  auto weekday = at::zeros({batch, longest}, as_long), hour = at::zeros({batch, longest}, as_long);
  auto numeric = at::zeros({batch, longest, 2}, at::TensorOptions(at::kFloat));
  auto mask = at::ones({batch, longest}, at::TensorOptions(at::kBool));
  auto labels = at::zeros({batch}, at::TensorOptions(at::kFloat));
  auto mcc_a = mcc.accessor<int64_t, 2>(), type_a = type.accessor<int64_t, 2>();
  auto weekday_a = weekday.accessor<int64_t, 2>(), hour_a = hour.accessor<int64_t, 2>();
  auto numeric_a = numeric.accessor<float, 3>();
  auto mask_a = mask.accessor<bool, 2>();
  auto labels_a = labels.accessor<float, 1>();
  for (int64_t b = 0; b < batch; ++b) {
    labels_a[b] = dataset.labels[customers[b]];
    for (int64_t t = 0; t < counts[b]; ++t) {
      const int64_t e = starts[b] + t;
      mcc_a[b][t] = dataset.mcc[e];
      type_a[b][t] = dataset.type[e];
      weekday_a[b][t] = 1 + dataset.weekday[e];
      hour_a[b][t] = 1 + dataset.hour[e];
      numeric_a[b][t][0] = dataset.amount[e];
      // The first event of a window has no previous event in it: its gap is the dataset's.
      numeric_a[b][t][1] = std::log1p(dataset.gap_days[e]);
      mask_a[b][t] = false;
    }
  }
  return {mcc, type, weekday, hour, numeric, mask, labels, starts};
}

TransactionBatch MovedTo(TransactionBatch batch, const c10::Device& device) {
  if (device.is_cpu()) return batch;
  for (at::Tensor* t : {&batch.mcc, &batch.type, &batch.weekday, &batch.hour, &batch.numeric,
                        &batch.padding_mask, &batch.labels}) {
    *t = t->to(device);
  }
  return batch;
}

}  // namespace attnsweep
