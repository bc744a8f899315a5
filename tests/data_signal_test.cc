// The synthetic signal is real and not leaked: a simple oracle (logistic regression on a customer's
// category counts over a window of events) finds it when it is planted, not when it is absent or
// the labels are shuffled, and with a long reach finds more of it in longer windows. And the
// windows models see: crops, padding, masks.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include <ATen/ATen.h>
#include <torch/optim/adam.h>

#include "experiments/data/batches.h"
#include "experiments/data/dataset.h"
#include "experiments/data/synthetic.h"
#include "experiments/roc_auc.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

TransactionDataset Generated(double signal, double reach, int64_t customers = 3000) {
  const fs::path dir = fs::temp_directory_path() / ("attnsweep-signal-" + std::to_string(getpid()));
  SyntheticOptions options;
  options.customers = customers;
  options.seed = 11;
  options.signal = signal;
  options.reach = reach;
  GenerateSynthetic(options, dir.string());
  DatasetOptions split;
  split.test_fraction = 0.3;
  split.validation_fraction = 0;
  TransactionDataset dataset = ReadCsvDataset(dir.string(), split);
  fs::remove_all(dir);
  return dataset;
}

// ln(1 + count) of each category over each customer's last `window` events: (customers, V).
at::Tensor CategoryCounts(const TransactionDataset& d, const std::vector<int64_t>& customers,
                          int64_t window) {
  auto counts = at::zeros({static_cast<int64_t>(customers.size()), d.mcc_vocabulary()});
  auto a = counts.accessor<float, 2>();
  for (size_t i = 0; i < customers.size(); ++i) {
    const int64_t end = d.offsets[customers[i] + 1];
    for (int64_t e = std::max(d.offsets[customers[i]], end - window); e < end; ++e) {
      a[i][d.mcc[e]] += 1;
    }
  }
  return at::log1p(counts);
}

// Test-split ROC AUC of an L2-regularised logistic regression fitted on the training split.
double OracleAuc(const TransactionDataset& d, int64_t window, bool shuffle_labels = false) {
  const auto train = d.CustomersOf(Split::kTrain), test = d.CustomersOf(Split::kTest);
  std::vector<float> labels;
  for (int64_t c : train) labels.push_back(d.labels[c]);
  if (shuffle_labels) std::shuffle(labels.begin(), labels.end(), std::mt19937_64(5));
  const auto y = at::tensor(labels);
  auto x = CategoryCounts(d, train, window);
  const auto mean = x.mean(0), sd = x.std(0) + 1e-3;
  x = (x - mean) / sd;
  const auto x_test = (CategoryCounts(d, test, window) - mean) / sd;
  auto w = at::zeros({x.size(1)}).set_requires_grad(true);
  auto b = at::zeros({1}).set_requires_grad(true);
  torch::optim::Adam optimizer({w, b}, torch::optim::AdamOptions(0.05).weight_decay(1e-2));
  for (int step = 0; step < 300; ++step) {
    optimizer.zero_grad();
    at::binary_cross_entropy_with_logits(at::matmul(x, w) + b, y).backward();
    optimizer.step();
  }
  at::NoGradGuard no_grad;
  const auto scores = at::matmul(x_test, w) + b;
  std::vector<double> s(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
  std::vector<int> truth;
  for (int64_t c : test) truth.push_back(d.labels[c]);
  return RocAuc(s, truth);
}

TEST(SyntheticSignal, OracleFindsItOnlyWhenPlanted) {
  const TransactionDataset planted = Generated(1.0, 0.5);
  const TransactionDataset none = Generated(0.0, 0.5);
  const double found = OracleAuc(planted, 256);
  const double absent = OracleAuc(none, 256);
  const double shuffled = OracleAuc(planted, 256, /*shuffle_labels=*/true);
  std::printf("oracle test AUC, window 256: signal 1 %.3f, signal 0 %.3f, shuffled labels %.3f\n",
              found, absent, shuffled);
  EXPECT_GT(found, 0.7);
  EXPECT_NEAR(absent, 0.5, 0.07);
  EXPECT_NEAR(shuffled, 0.5, 0.07);
}

TEST(SyntheticSignal, LongReachRewardsLongerWindows) {
  const TransactionDataset distant = Generated(1.0, 1.0);
  const double short_window = OracleAuc(distant, 64);
  const double long_window = OracleAuc(distant, 1024);
  std::printf("oracle test AUC with reach 1: window 64 %.3f, window 1024 %.3f\n", short_window,
              long_window);
  EXPECT_GT(long_window, short_window + 0.05);
}

TEST(Batches, WindowsCropPadAndMask) {
  // Three customers of 5, 2 and 8 events, built by hand.
  TransactionDataset d;
  d.customer_ids = {1, 2, 3};
  d.labels = {1, 0, 1};
  d.splits = {0, 0, 0};
  d.offsets = {0, 5, 7, 15};
  for (int64_t e = 0; e < 15; ++e) {
    d.mcc.push_back(static_cast<int32_t>(100 + e));
    d.type.push_back(2);
    d.amount.push_back(-static_cast<float>(e));
    d.weekday.push_back(static_cast<int8_t>(e % 7));
    d.hour.push_back(static_cast<int8_t>(e % 24));
    d.gap_days.push_back(1.0f);
    d.time_days.push_back(static_cast<double>(e));
  }
  std::mt19937_64 rng(1);
  auto last = MakeBatch(d, {0, 1, 2}, 4, Crop::kLast, &rng);
  ASSERT_EQ(last.mcc.sizes(), at::IntArrayRef({3, 4}));
  // The most recent 4 of customer 0 (events 1..4), customer 1's 2 then padding, customer
  // 2's 11..14.
  EXPECT_TRUE(at::equal(
      last.mcc, at::tensor({101, 102, 103, 104, 105, 106, 0, 0, 111, 112, 113, 114}, at::kLong)
                    .view({3, 4})));
  EXPECT_TRUE(at::equal(
      last.padding_mask,
      at::tensor({0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0}, at::kLong).view({3, 4}).to(at::kBool)));
  EXPECT_TRUE(at::equal(last.labels, at::tensor({1.0f, 0.0f, 1.0f})));
  EXPECT_FLOAT_EQ(last.numeric[2][0][0].item<float>(), -11.0f);
  EXPECT_FLOAT_EQ(last.numeric[2][0][1].item<float>(), std::log1p(1.0f));
  EXPECT_EQ(last.weekday[2][0].item<int64_t>(), 1 + 11 % 7);
  EXPECT_EQ(last.hour[1][2].item<int64_t>(), 0);  // padding
  auto first = MakeBatch(d, {2}, 3, Crop::kFirst, &rng);
  EXPECT_TRUE(at::equal(first.mcc, at::tensor({107, 108, 109}, at::kLong).view({1, 3})));
  // Random crops: every start in range occurs, and the window is contiguous.
  std::set<int64_t> starts;
  for (int i = 0; i < 200; ++i) {
    auto random = MakeBatch(d, {2}, 3, Crop::kRandom, &rng);
    starts.insert(random.starts[0]);
    const int64_t s = random.starts[0];
    EXPECT_TRUE(
        at::equal(random.mcc, at::tensor({100 + s, 101 + s, 102 + s}, at::kLong).view({1, 3})));
  }
  EXPECT_EQ(starts, (std::set<int64_t>{7, 8, 9, 10, 11, 12}));
  // A batch of short sequences is only as long as its longest.
  EXPECT_EQ(MakeBatch(d, {1}, 512, Crop::kLast, &rng).mcc.size(1), 2);
}

}  // namespace
}  // namespace attnsweep
