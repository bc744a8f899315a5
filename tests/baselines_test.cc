// The baselines against independent references: the aggregate features against counts and
// statistics computed event by event, the bag mixing nothing, and the classifier's pooling.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>
#include <map>

#include "experiments/models/aggregate_features.h"
#include "experiments/models/bag_mixer.h"
#include "experiments/models/encoder.h"
#include "experiments/models/linformer_attention.h"

namespace attnsweep {
namespace {

// Two windows over vocabularies of 5 categories and 3 types: 4 and 2 real events.
TransactionBatch SmallBatch() {
  TransactionBatch batch;
  batch.mcc = at::tensor({1, 3, 3, 4, 2, 2, 0, 0}, at::kLong).view({2, 4});
  batch.type = at::tensor({1, 1, 2, 2, 1, 2, 0, 0}, at::kLong).view({2, 4});
  batch.weekday = at::ones({2, 4}, at::kLong);
  batch.hour = at::ones({2, 4}, at::kLong);
  batch.numeric = at::tensor({5.f, 0.f, -3.f, 1.f, 7.f, 0.5f, 2.f, 2.f,  //
                              -9.f, 1.f, 4.f, 0.f, 99.f, 9.f, 99.f, 9.f})
                      .view({2, 4, 2});
  batch.padding_mask = at::tensor({0, 0, 0, 0, 0, 0, 1, 1}, at::kLong).to(at::kBool).view({2, 4});
  batch.labels = at::zeros({2});
  return batch;
}

TEST(AggregateFeatures, MatchCountsAndStatisticsEventByEvent) {
  const TransactionBatch batch = SmallBatch();
  const int64_t mccs = 5, types = 3;
  const auto features = AggregateFeatures(batch, mccs, types);
  ASSERT_EQ(features.size(1), AggregateFeatureCount(mccs, types));
  ASSERT_EQ(features.size(1), 4 * (mccs + types) + 4);
  for (int64_t b = 0; b < 2; ++b) {
    // The reference: plain loops over the real events.
    std::map<int64_t, std::vector<double>> by_mcc, by_type;
    std::vector<double> amounts, gaps;
    for (int64_t t = 0; t < 4; ++t) {
      if (batch.padding_mask[b][t].item<bool>()) continue;
      const double amount = 0.1 * batch.numeric[b][t][0].item<double>();
      by_mcc[batch.mcc[b][t].item<int64_t>()].push_back(amount);
      by_type[batch.type[b][t].item<int64_t>()].push_back(amount);
      amounts.push_back(amount);
      gaps.push_back(batch.numeric[b][t][1].item<double>());
    }
    const double n = static_cast<double>(amounts.size());
    auto check_group = [&](const std::map<int64_t, std::vector<double>>& groups, int64_t vocabulary,
                           int64_t offset) {
      for (int64_t k = 0; k < vocabulary; ++k) {
        const auto found = groups.find(k);
        const std::vector<double> values =
            found == groups.end() ? std::vector<double>{} : found->second;
        double mean = 0, squares = 0;
        for (double v : values) mean += v / values.size(), squares += v * v / values.size();
        const double spread = values.empty() ? 0 : std::sqrt(std::max(0.0, squares - mean * mean));
        const double count = static_cast<double>(values.size());
        EXPECT_NEAR(features[b][offset + k].item<double>(), count / n, 1e-6);
        EXPECT_NEAR(features[b][offset + vocabulary + k].item<double>(), std::log1p(count), 1e-6);
        EXPECT_NEAR(features[b][offset + 2 * vocabulary + k].item<double>(), mean, 1e-5);
        EXPECT_NEAR(features[b][offset + 3 * vocabulary + k].item<double>(), spread, 1e-3);
      }
    };
    check_group(by_mcc, mccs, 0);
    check_group(by_type, types, 4 * mccs);
    double mean = 0, squares = 0, gap = 0;
    for (size_t i = 0; i < amounts.size(); ++i) {
      mean += amounts[i] / n, squares += amounts[i] * amounts[i] / n, gap += gaps[i] / n;
    }
    const int64_t window = 4 * (mccs + types);
    EXPECT_NEAR(features[b][window].item<double>(), std::log1p(n), 1e-6);
    EXPECT_NEAR(features[b][window + 1].item<double>(), mean, 1e-5);
    EXPECT_NEAR(features[b][window + 2].item<double>(), std::sqrt(squares - mean * mean), 1e-3);
    EXPECT_NEAR(features[b][window + 3].item<double>(), gap, 1e-6);
  }
}

TEST(AggregateFeatures, PaddingContributesNothingAndGradientsReachTheHead) {
  TransactionBatch batch = SmallBatch();
  torch::manual_seed(1);
  AggregateClassifier model(AggregateClassifierOptions(5, 3).hidden(8).dropout(0));
  model->eval();
  const auto before = model->forward(batch);
  // Whatever the padded slots hold.
  batch.mcc[1][3] = 4;
  batch.type[1][2] = 2;
  batch.numeric[1][3][0] = -500.f;
  EXPECT_TRUE(at::allclose(model->forward(batch), before));
  model->train();
  model->forward(batch).sum().backward();
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<double>(), 0);
  }
  // Logistic regression: one linear layer.
  AggregateClassifier linear(AggregateClassifierOptions(5, 3).hidden(0));
  EXPECT_EQ(linear->parameters().size(), 2u);
}

TEST(BagMixer, EachPositionSeesOnlyItself) {
  torch::manual_seed(2);
  SequenceClassifier classifier(EncoderOptions(8, 2, 16, 10).dropout(0),
                                [] { return std::make_shared<BagMixerImpl>(BagMixerOptions(8)); });
  classifier->eval();
  const auto x = at::randn({1, 6, 8});
  auto changed = x.clone();
  changed[0][4].normal_();
  const auto a = classifier->encoder->forward(x), b = classifier->encoder->forward(changed);
  EXPECT_TRUE(at::allclose(a.narrow(1, 0, 4), b.narrow(1, 0, 4)));
  EXPECT_TRUE(at::allclose(a.narrow(1, 5, 1), b.narrow(1, 5, 1)));
  EXPECT_FALSE(at::allclose(a.narrow(1, 4, 1), b.narrow(1, 4, 1)));
}

TEST(ResidualGate, AFreshGatedEncoderIsTheBagAndTheGateLearns) {
  torch::manual_seed(4);
  auto linformer = [] {
    return std::make_shared<LinformerAttentionImpl>(LinformerAttentionOptions(8, 2, 6).k(3));
  };
  SequenceClassifier gated(EncoderOptions(8, 1, 16, 6).dropout(0).residual_gate(true), linformer);
  SequenceClassifier ungated(EncoderOptions(8, 1, 16, 6).dropout(0), linformer);
  const auto x = at::randn({1, 6, 8});
  auto changed = x.clone();
  changed[0][4].normal_();
  {
    torch::NoGradGuard no_grad;
    // Gated: position 0 does not see event 4 yet. Ungated: Linformer mixes it in from the start.
    EXPECT_TRUE(at::allclose(gated->encoder->forward(x).narrow(1, 0, 1),
                             gated->encoder->forward(changed).narrow(1, 0, 1)));
    EXPECT_FALSE(at::allclose(ungated->encoder->forward(x).narrow(1, 0, 1),
                              ungated->encoder->forward(changed).narrow(1, 0, 1)));
  }
  gated->forward(x).sum().backward();
  const auto& gate = gated->encoder->layers[0]->as<EncoderLayer>()->gate;
  ASSERT_TRUE(gate.grad().defined());
  EXPECT_NE(gate.grad().item<double>(), 0.0);
}

TEST(SequenceClassifier, PoolingsAgainstTheirDefinitionsAndIgnorePadding) {
  torch::manual_seed(3);
  const auto x = at::randn({2, 5, 8});
  const auto mask =
      at::tensor({0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, at::kLong).to(at::kBool).view({2, 5});
  for (const std::string pooling : {"mean", "max", "mean_max"}) {
    SequenceClassifier classifier(EncoderOptions(8, 1, 16, 5).dropout(0).pooling(pooling), [] {
      return std::make_shared<BagMixerImpl>(BagMixerOptions(8));
    });
    classifier->eval();
    torch::NoGradGuard no_grad;
    const auto h = classifier->encoder->forward(x, mask);
    std::vector<at::Tensor> rows;
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t real = b == 0 ? 3 : 5;
      const auto window = h[b].narrow(0, 0, real);
      std::vector<at::Tensor> parts;
      if (pooling != "max") parts.push_back(window.mean(0));
      if (pooling != "mean") parts.push_back(std::get<0>(window.max(0)));
      rows.push_back(at::cat(parts));
    }
    const auto expected = classifier->head->forward(at::stack(rows)).squeeze(-1);
    EXPECT_TRUE(at::allclose(classifier->forward(x, mask), expected, 1e-5, 1e-6)) << pooling;
    auto padded = x.clone();
    padded[0].narrow(0, 3, 2).fill_(1e6);
    EXPECT_TRUE(at::allclose(classifier->forward(padded, mask), expected, 1e-5, 1e-6)) << pooling;
  }
}

TEST(SequenceClassifier, StandardisesThePooledVectorAcrossTheTrainingBatch) {
  torch::manual_seed(4);
  const auto x = at::randn({16, 6, 8});
  SequenceClassifier classifier(EncoderOptions(8, 1, 16, 6).dropout(0).standardize(true),
                                [] { return std::make_shared<BagMixerImpl>(BagMixerOptions(8)); });
  ASSERT_TRUE(classifier->standardizer);
  classifier->train();
  torch::NoGradGuard no_grad;
  // Reference: the mean-pooled vector, standardised per feature over the batch by hand.
  const auto pooled = classifier->encoder->forward(x, {}).mean(1);
  const auto mean = pooled.mean(0, true);
  const auto standardised = (pooled - mean) / at::sqrt((pooled - mean).pow(2).mean(0, true) + 1e-5);
  const auto expected = classifier->head->forward(standardised).squeeze(-1);
  EXPECT_TRUE(at::allclose(classifier->forward(x), expected, 1e-4, 1e-5));
  // Off: no standardiser, the head reads the pooled vector itself.
  SequenceClassifier plain(EncoderOptions(8, 1, 16, 6).dropout(0),
                           [] { return std::make_shared<BagMixerImpl>(BagMixerOptions(8)); });
  EXPECT_FALSE(plain->standardizer);
}

}  // namespace
}  // namespace attnsweep
