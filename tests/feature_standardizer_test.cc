#include "experiments/models/feature_standardizer.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace attnsweep {
namespace {

TEST(FeatureStandardizer, TrainingBatchComesOutWithZeroMeanAndUnitSpreadPerFeature) {
  at::manual_seed(3);
  // Features around a large common part with small differences: what pooling gives the head.
  const auto features = 5.0 + 0.1 * at::randn({64, 8}) * at::arange(1, 9).to(at::kFloat);
  FeatureStandardizer standardizer(8);
  standardizer->train();
  const auto out = standardizer->forward(features);
  // Reference by hand: (x - mean) / sqrt(biased variance + eps) per column.
  const auto mean = features.mean(0, true);
  const auto variance = (features - mean).pow(2).mean(0, true);
  const auto expected = (features - mean) / at::sqrt(variance + 1e-5);
  EXPECT_TRUE(at::allclose(out, expected, 1e-3, 1e-3));
  EXPECT_LT(out.mean(0).abs().max().item<double>(), 1e-3);
}

TEST(FeatureStandardizer, EvaluationUsesTheRunningAveragesOfTraining) {
  at::manual_seed(4);
  FeatureStandardizer standardizer(3);
  standardizer->train();
  for (int step = 0; step < 200; ++step) {
    standardizer->forward(2.0 + 3.0 * at::randn({32, 3}));
  }
  standardizer->eval();
  const auto x = at::tensor({2.0f, 5.0f, -1.0f}).view({1, 3});
  // The running mean and variance approach 2 and 9: (x - 2) / 3.
  const auto expected = at::tensor({0.0f, 1.0f, -1.0f}).view({1, 3});
  EXPECT_TRUE(at::allclose(standardizer->forward(x), expected, 0.1, 0.1));
}

TEST(FeatureStandardizer, TrainingBatchOfOneIsStandardisedByTheRunningAverages) {
  FeatureStandardizer standardizer(2);
  standardizer->train();
  standardizer->forward(at::tensor({0.0f, 10.0f, 2.0f, 30.0f}).view({2, 2}));
  const auto one = at::tensor({1.0f, 20.0f}).view({1, 2});
  at::Tensor trained;
  ASSERT_NO_THROW(trained = standardizer->forward(one));
  standardizer->eval();
  EXPECT_TRUE(at::allclose(trained, standardizer->forward(one)));
}

}  // namespace
}  // namespace attnsweep
