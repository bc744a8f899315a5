// Causal attention (issue 19): every variant with a causal form gives, at position t, an output
// that later events cannot change; the exact kernels under a causal mask equal the masked textbook
// computation, forward and backward; causal FAVOR+ by prefix sums equals FAVOR+ written out
// position by position in double; a variant without a causal form is refused, saying why.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "experiments/grid.h"
#include "experiments/memory/counting_allocator.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/models/attention_factory.h"
#include "experiments/models/chunked_attention.h"
#include "experiments/models/performer_attention.h"
#include "experiments/models/softmax_attention.h"
#include "experiments/registry.h"
#include "experiments/tasks/tasks.h"
#include "tests/first_job_config.h"

namespace attnsweep {
namespace {

// A next_event job's resolved model section for `variant`, with `extra` grid params (YAML lines).
nlohmann::json ModelSection(const std::string& variant, const std::string& extra = "") {
  const nlohmann::json config = FirstJobConfig(R"(experiments:
  - name: t
    task: next_event
    params:
      model: {d_model: 16, heads: 2}
      model.attention: )" + variant + "\n" + extra);
  return config.is_null() ? config : config.at("model");
}

double DifferenceOf(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Settings that make each variant cross its own boundaries within the test's 150 events: tiles of
// 16 keys, Performer's chunks of 64 rows, the ∞-former's segments of 32 (so its memory is read).
std::string BoundariesOf(const std::string& variant) {
  if (variant == "softmax_chunked") return "      model.chunked.block: 16\n";
  if (variant == "infinity") return "      model.infinity: {segment: 32, basis: 16, samples: 16}\n";
  return "";
}

class CausalVariant : public testing::TestWithParam<std::string> {};

TEST_P(CausalVariant, OutputAtTDoesNotChangeWhenLaterEventsChange) {
  torch::manual_seed(3);
  const int64_t length = 150, t = 77;
  const nlohmann::json model = CausalModel(ModelSection(GetParam(), BoundariesOf(GetParam())));
  const auto layer = MakeAttention(model, length);
  layer->eval();
  at::NoGradGuard no_grad;
  const auto x = at::randn({2, length, 16});
  // The second sequence ends at 120: the rest is padding.
  auto padding = at::zeros({2, length}, at::kBool);
  padding[1].narrow(0, 120, length - 120).fill_(true);
  const auto y = layer->forward(x, padding);
  auto changed = x.clone();
  changed.narrow(1, t + 1, length - t - 1).copy_(at::randn({2, length - t - 1, 16}) * 3);
  const auto y_changed = layer->forward(changed, padding);
  EXPECT_LT(DifferenceOf(y.narrow(1, 0, t + 1), y_changed.narrow(1, 0, t + 1)), 1e-5);
  // The change is seen where it may be: at t + 1 on (a causal layer is no identity).
  if (GetParam() != "bag") {
    EXPECT_GT(DifferenceOf(y.narrow(1, t + 1, 1), y_changed.narrow(1, t + 1, 1)), 1e-3);
  }
  // And without the causal form the same layer reads the future (the test can fail).
  if (GetParam() == "softmax" || GetParam() == "performer") {
    torch::manual_seed(3);
    const auto open = MakeAttention(ModelSection(GetParam()), length);
    open->eval();
    EXPECT_GT(DifferenceOf(open->forward(x, padding).narrow(1, 0, t + 1),
                           open->forward(changed, padding).narrow(1, 0, t + 1)),
              1e-3);
  }
}

std::vector<std::string> CausalVariants() {
  std::vector<std::string> names;
  for (const VariantDefinition& v : Variants()) {
    if (v.causal) names.push_back(v.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registered, CausalVariant, testing::ValuesIn(CausalVariants()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// softmax(q k^T + causal and padding masks) v in double: the reference.
at::Tensor MaskedTextbook(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                          const at::Tensor& padding) {
  auto scores = at::matmul(q, k.transpose(-2, -1));
  const int64_t lq = q.size(2), lk = k.size(2);
  const auto hidden = at::ones({lq, lk}, at::kBool)
                          .triu(1)
                          .view({1, 1, lq, lk})
                          .logical_or(padding.view({padding.size(0), 1, 1, lk}));
  scores = scores.masked_fill(hidden, -std::numeric_limits<double>::infinity());
  return at::matmul(at::softmax(scores, -1), v);
}

TEST(CausalExactKernels, EqualTheMaskedTextbookForwardAndBackward) {
  torch::manual_seed(5);
  // 600 rows: the fused kernel splits queries into parallel chunks of 512, so the second chunk
  // starts past the diagonal's origin; 40 rows of padding at the end of the second sequence.
  const int64_t length = 600, dim = 16;
  auto padding = at::zeros({2, length}, at::kBool);
  padding[1].narrow(0, length - 40, 40).fill_(true);
  const auto q0 = at::randn({2, 2, length, dim}) * 0.5, k0 = at::randn({2, 2, length, dim}) * 0.5,
             v0 = at::randn({2, 2, length, dim});
  const auto upstream = at::randn({2, 2, length, dim});
  auto reference_q = q0.to(at::kDouble).requires_grad_(),
       reference_k = k0.to(at::kDouble).requires_grad_(),
       reference_v = v0.to(at::kDouble).requires_grad_();
  const auto reference = MaskedTextbook(reference_q, reference_k, reference_v, padding);
  (reference * upstream.to(at::kDouble)).sum().backward();
  for (const std::string kernel : {"blocked", "fused"}) {
    auto q = q0.clone().requires_grad_(), k = k0.clone().requires_grad_(),
         v = v0.clone().requires_grad_();
    const auto out = kernel == "blocked" ? ExactAttention(q, k, v, padding, 0.0, false, true)
                                         : ChunkedExactAttention(q, k, v, padding, 64, true);
    (out * upstream).sum().backward();
    EXPECT_LT(DifferenceOf(out.to(at::kDouble), reference), 1e-5) << kernel;
    EXPECT_LT(DifferenceOf(q.grad().to(at::kDouble), reference_q.grad()), 1e-4) << kernel;
    EXPECT_LT(DifferenceOf(k.grad().to(at::kDouble), reference_k.grad()), 1e-4) << kernel;
    EXPECT_LT(DifferenceOf(v.grad().to(at::kDouble), reference_v.grad()), 1e-4) << kernel;
  }
}

TEST(CausalPerformer, EqualsFavorWrittenOutPositionByPositionInDouble) {
  torch::manual_seed(7);
  const int64_t length = 100, dim = 8, features = 32;
  const auto q = at::randn({1, 2, length, dim}), k = at::randn({1, 2, length, dim}),
             v = at::randn({1, 2, length, dim});
  const auto w = at::randn({features, dim});
  // Chunks of 16 rows: the prefix state crosses six chunk boundaries.
  const auto causal = FavorAttention(q, k, v, w, "positive", {}, 16, true);
  // phi(q_i) . sum_{j <= i} phi(k_j) v_j / phi(q_i) . sum_{j <= i} phi(k_j), unstabilised, in
  // double, one position at a time.
  const double scale = std::pow(static_cast<double>(dim), -0.25);
  const auto phi_q = PerformerFeatures(q.to(at::kDouble) * scale, w.to(at::kDouble), "positive");
  const auto phi_k = PerformerFeatures(k.to(at::kDouble) * scale, w.to(at::kDouble), "positive");
  const auto vd = v.to(at::kDouble);
  double largest = 0;
  for (int64_t i = 0; i < length; ++i) {
    const auto keys = phi_k.narrow(2, 0, i + 1);  // (1, H, i+1, M)
    const auto state = at::matmul(keys.transpose(-2, -1), vd.narrow(2, 0, i + 1));  // (1, H, M, D)
    const auto normaliser = keys.sum(2);                                            // (1, H, M)
    const auto query = phi_q.select(2, i);                                          // (1, H, M)
    const auto row =
        at::matmul(query.unsqueeze(2), state).squeeze(2) / (query * normaliser).sum(-1, true);
    largest = std::max(largest, DifferenceOf(causal.select(2, i).to(at::kDouble), row));
  }
  EXPECT_LT(largest, 1e-3);
  std::printf("causal FAVOR+ against the written-out sums: largest difference %.2e\n", largest);
}

TEST(CausalPerformer, TrainingMemoryGrowsLinearlyWithLength) {
  CpuMemoryCounter::Install();
  // Peak bytes of a training pass (forward and backward) of one causal layer, d_model 64, 4 heads.
  auto peak = [](int64_t length) {
    torch::manual_seed(9);
    PerformerAttention performer(PerformerAttentionOptions(64, 4).causal(true));
    const auto x = at::randn({1, length, 64}).requires_grad_();
    PeakMemoryMeasure measure;
    performer->forward(x).sum().backward();
    return static_cast<double>(measure.PeakAboveBaseline());
  };
  const double short_peak = peak(1024), long_peak = peak(4096);
  // One prefix state per position, (L, H, M, d_head) floats, would be 47 MB at L = 4096 (M = 45):
  // one per chunk of 64 rows is 0.7 MB; what grows with L is the features and activations.
  std::printf("causal Performer, forward+backward peak: %.1f MB at L = 1024, %.1f MB at 4096\n",
              short_peak / 1e6, long_peak / 1e6);
  EXPECT_LT(long_peak / short_peak, 4.6);
  EXPECT_LT(long_peak, 40e6);
}

// A grid of one experiment of `task` whose attention is the Linformer.
GridParseResult LinformerGrid(const std::string& task) {
  return ParseGrid("experiments:\n  - name: t\n    task: " + task +
                       "\n    params: {model.attention: linformer}\n",
                   "test");
}

TEST(NotCausal, LinformerIsRefusedSayingWhy) {
  const VariantDefinition* linformer = FindVariant("linformer");
  ASSERT_NE(linformer, nullptr);
  EXPECT_FALSE(linformer->causal);
  EXPECT_NE(linformer->not_causal.find("later ones"), std::string::npos);
  // Built anyway (a config that skipped validation), the layer is refused as the job starts.
  const GridParseResult train = LinformerGrid("train");
  ASSERT_TRUE(train.ok());
  EXPECT_THROW(MakeAttention(CausalModel(train.grid.jobs.at(0).config.at("model")), 64),
               InvalidJobConfig);
  const GridParseResult parsed = LinformerGrid("next_event");
  ASSERT_FALSE(parsed.ok());
  std::string errors;
  for (const auto& e : parsed.errors) errors += FormatGridIssue("grid.yaml", e) + "\n";
  EXPECT_NE(errors.find("next_event needs causal attention"), std::string::npos) << errors;
  EXPECT_NE(errors.find("no mask can keep position t from seeing t + 1"), std::string::npos)
      << errors;
  // Reported where the variant is named.
  EXPECT_EQ(errors.rfind("grid.yaml:4:", 0), 0u) << errors;
}

}  // namespace
}  // namespace attnsweep
