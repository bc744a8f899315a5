// Exact softmax attention against an independent per-head, per-query reference written with loops.
#include "experiments/models/softmax_attention.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>
#include <vector>

namespace attnsweep {
namespace {

// Reference: for each batch, head and query, softmax over keys with explicit exp and sum, in
// double.
at::Tensor NaiveAttention(SoftmaxAttention& module, const at::Tensor& x,
                          const at::Tensor& padding) {
  const int64_t B = x.size(0), L = x.size(1), D = module->options.d_model();
  const int64_t H = module->options.heads(), Dh = D / H;
  auto xd = x.to(at::kDouble);
  auto w_qkv = module->qkv_projection->weight.to(at::kDouble);
  auto b_qkv = module->qkv_projection->bias.to(at::kDouble);
  auto qkv = at::matmul(xd, w_qkv.t()) + b_qkv;  // (B, L, 3D)
  auto context = at::zeros({B, L, D}, at::kDouble);
  auto acc_qkv = qkv.accessor<double, 3>();
  auto acc_ctx = context.accessor<double, 3>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < L; ++i) {
        std::vector<double> score(L, 0.0);
        double max_score = -1e300;
        for (int64_t j = 0; j < L; ++j) {
          if (padding.defined() && padding[b][j].item<bool>()) continue;
          double s = 0;
          for (int64_t d = 0; d < Dh; ++d)
            s += acc_qkv[b][i][h * Dh + d] * acc_qkv[b][j][D + h * Dh + d];
          score[j] = s / std::sqrt(static_cast<double>(Dh));
          max_score = std::max(max_score, score[j]);
        }
        double total = 0;
        std::vector<double> weight(L, 0.0);
        for (int64_t j = 0; j < L; ++j) {
          if (padding.defined() && padding[b][j].item<bool>()) continue;
          weight[j] = std::exp(score[j] - max_score);
          total += weight[j];
        }
        for (int64_t j = 0; j < L; ++j) {
          for (int64_t d = 0; d < Dh; ++d) {
            acc_ctx[b][i][h * Dh + d] += weight[j] / total * acc_qkv[b][j][2 * D + h * Dh + d];
          }
        }
      }
    }
  }
  auto w_out = module->output_projection->weight.to(at::kDouble);
  auto b_out = module->output_projection->bias.to(at::kDouble);
  return (at::matmul(context, w_out.t()) + b_out).to(at::kFloat);
}

TEST(SoftmaxAttention, MatchesNaivePerHeadLoop) {
  torch::manual_seed(7);
  SoftmaxAttention attention(SoftmaxAttentionOptions(16, 4));
  auto x = at::randn({2, 9, 16});
  torch::NoGradGuard no_grad;
  auto out = attention->forward(x);
  ASSERT_EQ(out.sizes(), x.sizes());
  EXPECT_LT((out - NaiveAttention(attention, x, {})).abs().max().item<double>(), 1e-5);
}

TEST(SoftmaxAttention, MaskMatchesNaiveAndPaddingDoesNotLeak) {
  torch::manual_seed(3);
  SoftmaxAttention attention(SoftmaxAttentionOptions(12, 3));
  torch::NoGradGuard no_grad;
  auto x = at::randn({1, 5, 12});
  // The same 5 events followed by 4 padded ones holding garbage.
  auto padded = at::cat({x, 100 * at::randn({1, 4, 12})}, 1);
  auto mask = at::zeros({1, 9}, at::kBool);
  mask.slice(1, 5, 9).fill_(true);
  auto short_out = attention->forward(x);
  auto long_out = attention->forward(padded, mask);
  EXPECT_LT((long_out.slice(1, 0, 5) - short_out).abs().max().item<double>(), 1e-5);
  EXPECT_LT((long_out - NaiveAttention(attention, padded, mask)).abs().max().item<double>(), 1e-5);
}

TEST(SoftmaxAttention, GradientsReachEveryParameterAndAreFinite) {
  torch::manual_seed(1);
  SoftmaxAttention attention(SoftmaxAttentionOptions(8, 2));
  auto x = at::randn({3, 6, 8});
  attention->forward(x).pow(2).sum().backward();
  for (const auto& p : attention->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(at::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
}

TEST(SoftmaxAttention, FixedSeedGivesIdenticalOutputs) {
  auto run = [] {
    torch::manual_seed(42);
    SoftmaxAttention attention(SoftmaxAttentionOptions(8, 2));
    torch::NoGradGuard no_grad;
    return attention->forward(at::randn({2, 4, 8}));
  };
  EXPECT_TRUE(at::equal(run(), run()));
}

TEST(SoftmaxAttention, RejectsBadShapes) {
  EXPECT_THROW(SoftmaxAttention(SoftmaxAttentionOptions(10, 3)), c10::Error);
  SoftmaxAttention attention(SoftmaxAttentionOptions(8, 2));
  EXPECT_THROW(attention->forward(at::randn({2, 4, 7})), c10::Error);
  EXPECT_THROW(attention->forward(at::randn({2, 4, 8}), at::zeros({2, 5}, at::kBool)), c10::Error);
}

}  // namespace
}  // namespace attnsweep
