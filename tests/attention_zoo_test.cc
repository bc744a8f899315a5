// Every attention variant against an independent reference, and the properties all must share:
// padding does not leak, gradients reach every parameter, a seed fixes the outputs.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

#include "experiments/memory/counting_allocator.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/models/attention_factory.h"
#include "experiments/models/chunked_attention.h"
#include "experiments/models/encoder.h"
#include "experiments/models/gru_mixer.h"
#include "experiments/models/linformer_attention.h"
#include "experiments/models/softmax_attention.h"
#include "experiments/tasks/tasks.h"
#include "tests/tensor_gap.h"

namespace attnsweep {
namespace {

// Copies the shared q/k/v/output projections from `from` to `to`, so two variants compute on the
// same weights.
void CopyProjections(MultiHeadProjections& from, MultiHeadProjections& to) {
  torch::NoGradGuard no_grad;
  to.qkv_projection->weight.copy_(from.qkv_projection->weight);
  to.qkv_projection->bias.copy_(from.qkv_projection->bias);
  to.output_projection->weight.copy_(from.output_projection->weight);
  to.output_projection->bias.copy_(from.output_projection->bias);
}

at::Tensor PaddingMask(int64_t batch, int64_t length, const std::vector<int64_t>& real_lengths) {
  auto mask = at::zeros({batch, length}, at::kBool);
  for (int64_t b = 0; b < batch; ++b) mask[b].slice(0, real_lengths[b], length).fill_(true);
  return mask;
}

TEST(ChunkedAttention, EqualsSoftmaxOnOddLengthsBlocksAndMasks) {
  torch::manual_seed(11);
  SoftmaxAttention exact(SoftmaxAttentionOptions(24, 3));
  for (int64_t block : {1, 5, 7, 16, 64}) {
    for (int64_t length : {1, 13, 37}) {
      ChunkedAttention chunked(ChunkedAttentionOptions(24, 3).block(block));
      CopyProjections(*exact, *chunked);
      torch::NoGradGuard no_grad;
      auto x = at::randn({2, length, 24});
      EXPECT_LT(LargestGap(chunked->forward(x), exact->forward(x)), 1e-5)
          << "block " << block << ", length " << length;
      if (length > 3) {
        auto mask = PaddingMask(2, length, {length, length - 3});
        EXPECT_LT(LargestGap(chunked->forward(x, mask), exact->forward(x, mask)), 1e-5)
            << "masked, block " << block << ", length " << length;
      }
    }
  }
}

TEST(ChunkedAttention, GradientsEqualSoftmaxGradients) {
  torch::manual_seed(12);
  SoftmaxAttention exact(SoftmaxAttentionOptions(16, 2));
  ChunkedAttention chunked(ChunkedAttentionOptions(16, 2).block(6));
  CopyProjections(*exact, *chunked);
  auto x = at::randn({2, 23, 16});
  auto mask = PaddingMask(2, 23, {23, 17});
  auto upstream = at::randn({2, 23, 16});
  auto x1 = x.clone().requires_grad_(true), x2 = x.clone().requires_grad_(true);
  (exact->forward(x1, mask) * upstream).sum().backward();
  (chunked->forward(x2, mask) * upstream).sum().backward();
  EXPECT_LT(LargestGap(x1.grad(), x2.grad()), 1e-4);
  EXPECT_LT(
      LargestGap(exact->qkv_projection->weight.grad(), chunked->qkv_projection->weight.grad()),
      1e-4);
  EXPECT_LT(LargestGap(exact->output_projection->weight.grad(),
                       chunked->output_projection->weight.grad()),
            1e-4);
}

TEST(ChunkedAttention, ForwardMemoryGrowsLinearlyWithLength) {
  CpuMemoryCounter::Install();
  torch::manual_seed(13);
  auto peak = [](AttentionImpl& attention, int64_t length) {
    auto x = at::randn({2, length, 32});
    torch::NoGradGuard no_grad;
    PeakMemoryMeasure measure;
    attention.forward(x, {});
    return static_cast<double>(measure.PeakAboveBaseline());
  };
  ChunkedAttention chunked(ChunkedAttentionOptions(32, 4).block(64));
  SoftmaxAttention exact(SoftmaxAttentionOptions(32, 4));
  const double chunked_ratio = peak(*chunked, 2048) / peak(*chunked, 512);
  const double exact_ratio = peak(*exact, 2048) / peak(*exact, 512);
  EXPECT_LT(chunked_ratio, 4.5) << "4x the length: about 4x the memory";
  EXPECT_GT(exact_ratio, 12.0) << "the L^2 scores: about 16x";
}

TEST(LinformerAttention, WithIdentityProjectionsEqualsSoftmax) {
  torch::manual_seed(14);
  const int64_t length = 19;
  SoftmaxAttention exact(SoftmaxAttentionOptions(12, 3));
  for (const char* sharing : {"none", "headwise", "kv"}) {
    LinformerAttention linformer(
        LinformerAttentionOptions(12, 3, length).k(length).sharing(sharing));
    CopyProjections(*exact, *linformer);
    {
      torch::NoGradGuard no_grad;
      const auto identity = at::eye(length) / linformer->projection_scale();
      linformer->key_projection.copy_(identity.expand_as(linformer->key_projection));
      linformer->value_projection.copy_(identity.expand_as(linformer->value_projection));
    }
    torch::NoGradGuard no_grad;
    auto x = at::randn({2, length, 12});
    EXPECT_LT(LargestGap(linformer->forward(x), exact->forward(x)), 1e-5) << sharing;
  }
}

TEST(LinformerAttention, SharingDecidesTheProjections) {
  LinformerAttention none(LinformerAttentionOptions(8, 2, 32).k(4).sharing("none"));
  EXPECT_EQ(none->key_projection.sizes(), at::IntArrayRef({2, 4, 32}));
  EXPECT_FALSE(none->key_projection.is_same(none->value_projection));
  LinformerAttention headwise(LinformerAttentionOptions(8, 2, 32).k(4).sharing("headwise"));
  EXPECT_EQ(headwise->key_projection.sizes(), at::IntArrayRef({4, 32}));
  EXPECT_FALSE(headwise->key_projection.is_same(headwise->value_projection));
  LinformerAttention kv(LinformerAttentionOptions(8, 2, 32).k(4).sharing("kv"));
  EXPECT_TRUE(kv->key_projection.is_same(kv->value_projection));

  nlohmann::json model = {{"attention", "linformer"},
                          {"d_model", 8},
                          {"heads", 2},
                          {"layers", 3},
                          {"ff_dim", 16},
                          {"dropout", 0.0},
                          {"positions", "learned"},
                          {"linformer", {{"k", 4}, {"sharing", "layerwise"}, {"max_len", 0}}}};
  SequenceClassifier layerwise = MakeClassifier(model, 32);
  // Each layer lists the projection, and it is the same tensor in all three: one set of weights.
  // (An optimizer must be given it once: dedupe parameters by tensor before building one.)
  std::set<const void*> storages;
  int listed = 0;
  for (const auto& p : layerwise->named_parameters()) {
    if (p.key().find("key_projection") != std::string::npos) {
      storages.insert(p.value().data_ptr());
      ++listed;
    }
  }
  EXPECT_EQ(listed, 3);
  EXPECT_EQ(storages.size(), 1u);
  auto& layers = *layerwise->encoder->layers;
  auto first =
      std::dynamic_pointer_cast<LinformerAttentionImpl>(layers[0]->as<EncoderLayer>()->attention);
  auto third =
      std::dynamic_pointer_cast<LinformerAttentionImpl>(layers[2]->as<EncoderLayer>()->attention);
  EXPECT_TRUE(first->key_projection.is_same(third->key_projection));
}

TEST(LinformerAttention, InputLongerThanItsProjectionIsRefused) {
  nlohmann::json model = {{"attention", "linformer"},
                          {"d_model", 8},
                          {"heads", 2},
                          {"linformer", {{"k", 4}, {"sharing", "kv"}, {"max_len", 16}}}};
  EXPECT_THROW(MakeAttention(model, 32), InvalidJobConfig);
  EXPECT_NO_THROW(MakeAttention(model, 16));
  LinformerAttention layer(LinformerAttentionOptions(8, 2, 16).k(4));
  EXPECT_THROW(layer->forward(at::randn({1, 17, 8})), c10::Error);
}

nlohmann::json ModelConfig(const std::string& variant) {
  return {{"attention", variant},
          {"d_model", 16},
          {"heads", 4},
          {"layers", 2},
          {"ff_dim", 32},
          {"dropout", 0.1},
          {"positions", "sinusoidal"},
          {"chunked", {{"block", 5}}},
          {"linformer", {{"k", 8}, {"sharing", "none"}, {"max_len", 0}}},
          // Segments of 4, so the memory is written and read several times; sticky, so the
          // histogram of the attention paid must also leave padding out.
          {"infinity",
           {{"segment", 4},
            {"basis", 8},
            {"widths", {0.1, 0.3}},
            {"ridge", 0.5},
            {"samples", 8},
            {"tau", 0.75},
            {"sticky", true},
            {"detach", true}}},
          {"performer",
           {{"features", 16},
            {"kernel", "positive"},
            {"sampling", "orthogonal"},
            {"scaling", "chi"},
            {"redraw", 0}}}};
}

class EveryVariant : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryVariant, AppendedPaddingDoesNotChangeRealPositions) {
  torch::manual_seed(21);
  auto attention = MakeAttention(ModelConfig(GetParam()), 24);
  attention->eval();
  torch::NoGradGuard no_grad;
  auto x = at::randn({2, 11, 16});
  auto padded = at::cat({x, 50 * at::randn({2, 13, 16})}, 1);
  auto mask = PaddingMask(2, 24, {11, 11});
  auto alone = attention->forward(x, PaddingMask(2, 11, {11, 11}));
  auto with_padding = attention->forward(padded, mask);
  EXPECT_LT(LargestGap(with_padding.slice(1, 0, 11), alone), 1e-5);

  // The classifier too: pooling over real positions only.
  torch::manual_seed(22);
  SequenceClassifier classifier = MakeClassifier(ModelConfig(GetParam()), 24);
  classifier->eval();
  EXPECT_LT(LargestGap(classifier->forward(padded, mask),
                       classifier->forward(x, PaddingMask(2, 11, {11, 11}))),
            1e-5);
}

TEST_P(EveryVariant, GradientsReachEveryParameterAndAreFinite) {
  torch::manual_seed(23);
  SequenceClassifier classifier = MakeClassifier(ModelConfig(GetParam()), 20);
  auto x = at::randn({3, 20, 16});
  auto mask = PaddingMask(3, 20, {20, 15, 9});
  classifier->forward(x, mask).pow(2).sum().backward();
  for (const auto& p : classifier->named_parameters()) {
    if (p.key().find("learned_positions") != std::string::npos) continue;
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(at::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
}

TEST_P(EveryVariant, FixedSeedGivesIdenticalOutputs) {
  auto run = [] {
    torch::manual_seed(5);
    SequenceClassifier classifier = MakeClassifier(ModelConfig(GetParam()), 16);
    classifier->eval();
    torch::NoGradGuard no_grad;
    return classifier->forward(at::randn({2, 16, 16}));
  };
  EXPECT_TRUE(at::equal(run(), run()));
}

INSTANTIATE_TEST_SUITE_P(Zoo, EveryVariant,
                         ::testing::Values("softmax", "softmax_chunked", "performer", "linformer",
                                           "infinity", "gru"));

TEST(Encoder, SinusoidalPositionsFollowTheFormula) {
  Encoder encoder(EncoderOptions(8, 1, 16, 50), [] {
    return std::make_shared<SoftmaxAttentionImpl>(SoftmaxAttentionOptions(8, 2));
  });
  const auto& table = encoder->sinusoidal_positions;
  for (int64_t p : {0, 1, 7, 49}) {
    for (int64_t i = 0; i < 4; ++i) {
      const double angle = p / std::pow(10000.0, 2.0 * i / 8);
      EXPECT_NEAR(table[p][2 * i].item<double>(), std::sin(angle), 1e-5);
      EXPECT_NEAR(table[p][2 * i + 1].item<double>(), std::cos(angle), 1e-5);
    }
  }
  EXPECT_THROW(encoder->forward(at::randn({1, 51, 8})), c10::Error);
}

}  // namespace
}  // namespace attnsweep
