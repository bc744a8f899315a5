#include "experiments/models/aggregate_features.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <nlohmann/json.hpp>

namespace attnsweep {
namespace {

// The amount feature is sign(x) ln(1 + |x|), up to about 18: scaled as the embedding scales it.
constexpr double kAmountScale = 0.1;
constexpr int64_t kPerGroup = 4;  // share, ln(1 + count), mean and std of the amount
constexpr int64_t kWindowFeatures = 4;

// Per index of `index` (B, L) below `vocabulary`: the four statistics over the real events.
torch::Tensor GroupStatistics(const torch::Tensor& index, int64_t vocabulary,
                              const torch::Tensor& keep, const torch::Tensor& amount,
                              const torch::Tensor& events) {
  const auto zeros = at::zeros({index.size(0), vocabulary}, keep.options());
  const auto count = zeros.scatter_add(1, index, keep);
  const auto sum = zeros.scatter_add(1, index, amount * keep);
  const auto squares = zeros.scatter_add(1, index, amount * amount * keep);
  const auto seen = count.clamp_min(1.0);
  const auto mean = sum / seen;
  const auto spread = (squares / seen - mean * mean).clamp_min(0.0).sqrt();
  return at::cat({count / events, at::log1p(count), mean, spread}, 1);
}

}  // namespace

int64_t AggregateFeatureCount(int64_t mcc_vocabulary, int64_t type_vocabulary) {
  return kPerGroup * (mcc_vocabulary + type_vocabulary) + kWindowFeatures;
}

torch::Tensor AggregateFeatures(const TransactionBatch& batch, int64_t mcc_vocabulary,
                                int64_t type_vocabulary) {
  const auto keep = batch.padding_mask.logical_not().to(at::kFloat);
  const auto amount = batch.numeric.select(2, 0) * kAmountScale;
  const auto gap = batch.numeric.select(2, 1);
  const auto events = keep.sum(1, /*keepdim=*/true).clamp_min(1.0);
  const auto amount_mean = (amount * keep).sum(1, true) / events;
  const auto amount_spread =
      ((amount * amount * keep).sum(1, true) / events - amount_mean * amount_mean)
          .clamp_min(0.0)
          .sqrt();
  return at::cat(
      {GroupStatistics(batch.mcc, mcc_vocabulary, keep, amount, events),
       GroupStatistics(batch.type, type_vocabulary, keep, amount, events), at::log1p(events),
       amount_mean, amount_spread, (gap * keep).sum(1, true) / events},
      1);
}

AggregateClassifierImpl::AggregateClassifierImpl(const AggregateClassifierOptions& options_)
    : options(options_) {
  const int64_t features =
      AggregateFeatureCount(options.mcc_vocabulary(), options.type_vocabulary());
  head = register_module("head", torch::nn::Sequential());
  if (options.hidden() == 0) {
    head->push_back(torch::nn::Linear(features, 1));
  } else {
    head->push_back(torch::nn::Linear(features, options.hidden()));
    head->push_back(torch::nn::GELU());
    head->push_back(torch::nn::Dropout(options.dropout()));
    head->push_back(torch::nn::Linear(options.hidden(), 1));
  }
}

torch::Tensor AggregateClassifierImpl::forward(const TransactionBatch& batch) {
  return head
      ->forward(AggregateFeatures(batch, options.mcc_vocabulary(), options.type_vocabulary()))
      .squeeze(-1);
}

WholeModelBuilder AggregatesModelBuilder() {
  return [](const nlohmann::json& model, int64_t mcc_vocabulary, int64_t type_vocabulary) {
    return std::make_shared<AggregateClassifierImpl>(
        AggregateClassifierOptions(mcc_vocabulary, type_vocabulary)
            .hidden(model.at("aggregates").at("hidden").get<int64_t>())
            .dropout(model.at("dropout").get<double>()));
  };
}

}  // namespace attnsweep
