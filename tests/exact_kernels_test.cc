// The exact attention kernels (fused_attention_kernel.h) against attention written with plain ATen
// operations (matmul, masked_fill, softmax, matmul) and differentiated by autograd: outputs within
// 1e-5, gradients within 1e-4, at every head size the kernels specialise (16, 32, 64) and one they
// do not (8), at lengths shorter and longer than their tiles, with and without padding; and every
// instruction-set build this CPU can run agrees with the baseline build, forward and backward.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "experiments/models/chunked_attention.h"
#include "experiments/models/fused_attention_isa.h"
#include "experiments/models/fused_attention_kernel.h"
#include "experiments/models/softmax_attention.h"
#include "tests/tensor_gap.h"

namespace attnsweep {
namespace {

at::Tensor PlainAtenAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const at::Tensor& mask) {
  auto scores = at::matmul(q, k.transpose(-2, -1));
  if (mask.defined()) {
    scores = scores.masked_fill(mask.view({q.size(0), 1, 1, k.size(2)}),
                                -std::numeric_limits<float>::infinity());
  }
  return at::matmul(at::softmax(scores, -1), v);
}

struct KernelCase {
  int64_t dim, length, block;
  bool masked;
};

class ExactKernels : public ::testing::TestWithParam<KernelCase> {};

TEST_P(ExactKernels, MatchPlainAtenAttentionAndItsGradients) {
  const KernelCase c = GetParam();
  torch::manual_seed(21);
  const int64_t batch = 2, heads = 2;
  const auto q = (at::randn({batch, heads, c.length, c.dim}) / std::sqrt(c.dim)).requires_grad_();
  const auto k = at::randn({batch, heads, c.length, c.dim}).requires_grad_();
  const auto v = at::randn({batch, heads, c.length, c.dim}).requires_grad_();
  at::Tensor mask;
  if (c.masked) {
    mask = at::zeros({batch, c.length}, at::kBool);
    mask[1].slice(0, c.length - c.length / 3, c.length).fill_(true);  // the second keeps 2/3
  }
  const auto upstream = at::randn({batch, heads, c.length, c.dim});
  auto grads = [&](const at::Tensor& out) {
    const auto g = torch::autograd::grad({(out * upstream).sum()}, {q, k, v});
    return std::vector<at::Tensor>(g.begin(), g.end());
  };
  const auto reference = PlainAtenAttention(q, k, v, mask);
  const auto reference_grads = grads(reference);
  const auto fused = ChunkedExactAttention(q, k, v, mask, c.block);
  const auto plain = ExactAttention(q, k, v, mask, 0, false);
  EXPECT_LT(LargestGap(fused, reference), 1e-5) << "fused";
  EXPECT_LT(LargestGap(plain, reference), 1e-5) << "plain";
  const auto fused_grads = grads(fused);
  const auto plain_grads = grads(plain);
  for (int i = 0; i < 3; ++i) {
    EXPECT_LT(LargestGap(fused_grads[i], reference_grads[i]), 1e-4) << "fused, grad "
                                                                    << "qkv"[i];
    EXPECT_LT(LargestGap(plain_grads[i], reference_grads[i]), 1e-4) << "plain, grad "
                                                                    << "qkv"[i];
  }
}

INSTANTIATE_TEST_SUITE_P(
    HeadSizesLengthsAndTiles, ExactKernels,
    ::testing::Values(KernelCase{16, 1, 256, false}, KernelCase{16, 70, 64, true},
                      KernelCase{16, 600, 256, true}, KernelCase{32, 131, 100, true},
                      KernelCase{64, 600, 128, false}, KernelCase{64, 257, 256, true},
                      KernelCase{128, 203, 64, true}, KernelCase{128, 300, 256, false},
                      KernelCase{8, 77, 5, true}, KernelCase{8, 33, 1, false}));

TEST(ExactKernels, PlainSoftmaxTakesStridedHeadsAsTheProjectionsLeaveThem) {
  // q, k, v as views of one (B, L, 3, H, D) tensor (what MultiHeadProjections::Split returns),
  // long enough for several blocks of query rows: the same numbers as contiguous copies.
  torch::manual_seed(24);
  const int64_t batch = 2, length = 700, heads = 2, dim = 16;
  const auto qkv = at::randn({batch, length, 3, heads, dim}).requires_grad_();
  const auto q = qkv.select(2, 0).permute({0, 2, 1, 3}) * 0.25;
  const auto k = qkv.select(2, 1).permute({0, 2, 1, 3});
  const auto v = qkv.select(2, 2).permute({0, 2, 1, 3});
  ASSERT_FALSE(k.is_contiguous());
  auto mask = at::zeros({batch, length}, at::kBool);
  mask[0].slice(0, 600, length).fill_(true);
  const auto upstream = at::randn({batch, heads, length, dim});
  const auto strided = ExactAttention(q, k, v, mask, 0, false);
  const auto reference = PlainAtenAttention(q.contiguous(), k.contiguous(), v.contiguous(), mask);
  EXPECT_LT(LargestGap(strided, reference), 1e-5);
  const auto grad = torch::autograd::grad({(strided * upstream).sum()}, {qkv})[0];
  const auto reference_grad = torch::autograd::grad({(reference * upstream).sum()}, {qkv})[0];
  EXPECT_LT(LargestGap(grad, reference_grad), 1e-4);
}

TEST(ExactKernels, PaddedKeysGetNoWeightWhateverTheyHold) {
  torch::manual_seed(22);
  auto q = at::randn({1, 1, 40, 16}), k = at::randn({1, 1, 40, 16}), v = at::randn({1, 1, 40, 16});
  auto mask = at::zeros({1, 40}, at::kBool);
  mask[0].slice(0, 30, 40).fill_(true);
  const auto before = ChunkedExactAttention(q, k, v, mask, 16);
  k.slice(2, 30, 40).fill_(1e4);
  v.slice(2, 30, 40).fill_(1e30);
  EXPECT_EQ(LargestGap(ChunkedExactAttention(q, k, v, mask, 16), before), 0);
  EXPECT_LT(LargestGap(ExactAttention(q, k, v, mask, 0, false), before), 1e-5);
}

// Each head size with a build of its own in the kernels (16, 32, 64, 128: wider heads go through
// D in slices) and one without (40).
class ExactKernelBuilds : public ::testing::TestWithParam<int64_t> {};

TEST_P(ExactKernelBuilds, EveryInstructionSetThisCpuRunsAgreesWithTheBaselineBuild) {
  torch::manual_seed(23);
  const int64_t length = 300, dim = GetParam();
  auto q = at::randn({length, dim}) / std::sqrt(dim), k = at::randn({length, dim}),
       v = at::randn({length, dim});
  auto padded = at::zeros({length}, at::kByte);
  padded.slice(0, 250, length).fill_(1);
  const HeadInputs head{q.data_ptr<float>(),
                        k.data_ptr<float>(),
                        v.data_ptr<float>(),
                        padded.data_ptr<uint8_t>(),
                        length,
                        length,
                        dim};
  auto run = [&](auto forward) {
    auto out = at::empty({length, dim});
    auto lse = at::empty({length});
    forward(head, 64, out.data_ptr<float>(), lse.data_ptr<float>());
    return out;
  };
  // The backward's three gradients, one after another in one tensor.
  const auto out = run(baseline::Forward);
  auto lse = at::empty({length});
  baseline::Forward(head, 64, out.clone().data_ptr<float>(), lse.data_ptr<float>());
  const auto grad_out = at::randn({length, dim});
  auto run_backward = [&](auto backward) {
    auto grads = at::empty({3, length, dim});
    backward(head, 64, out.data_ptr<float>(), lse.data_ptr<float>(), grad_out.data_ptr<float>(),
             grads[0].data_ptr<float>(), grads[1].data_ptr<float>(), grads[2].data_ptr<float>());
    return grads;
  };
  const auto baseline_grads = run_backward(baseline::Backward);
  // The builds sum in different orders: gaps are measured against the gradients' own scale, which
  // grows with the head size.
  const double grad_tolerance = 4e-6 * std::max(1.0, baseline_grads.abs().max().item<double>());
  int builds = 0;
  if (CpuRunsIsa("avx2")) {
    EXPECT_LT(LargestGap(run(avx2::Forward), out), 1e-6);
    EXPECT_LT(LargestGap(run_backward(avx2::Backward), baseline_grads), grad_tolerance);
    ++builds;
  }
  if (CpuRunsIsa("avx512")) {
    EXPECT_LT(LargestGap(run(avx512::Forward), out), 1e-6);
    EXPECT_LT(LargestGap(run_backward(avx512::Backward), baseline_grads), grad_tolerance);
    ++builds;
  }
  std::printf(
      "d_head %ld: builds checked beside the baseline: %d; in use: %s; gradients' scale %.1f\n",
      static_cast<long>(dim), builds, FusedAttentionIsa(), grad_tolerance / 4e-6);
}

INSTANTIATE_TEST_SUITE_P(HeadSizes, ExactKernelBuilds, ::testing::Values(16, 32, 40, 64, 128));

// The exponential each build computes its weights with, seen through SoftmaxRows against std::exp
// in double: within 3e-7 relative near 0, plus 1.2e-7 per unit of |s - max| (the rounding of
// (s - max) log2 e, which the range reduction multiplies into 2^n) where e^(s - max) is a normal
// float; exactly 0 below the smallest normal (e^-87.34) and for -inf; no weight for a padded key.
// The AVX-512 build computes it with other instructions than the two others.
TEST(ExactKernelExponential, EveryBuildsIsAccurateAndZeroBelowTheNormalRange) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  std::vector<float> row;
  // Scores across 90 periods of the range reduction (ln 2 each) and the last normal exponents.
  for (int i = 0; i <= 400; ++i) row.push_back(-0.2185f * static_cast<float>(i));
  for (float s : {-87.0f, -87.3f, -87.33f, -87.35f, -87.5f, -88.0f, -100.0f, -1e4f, -1e30f, -kInf})
    row.push_back(s);
  row.push_back(0.0f);  // the row's maximum, twice
  row.push_back(5.0f);  // a padded key that would otherwise be the maximum
  std::vector<uint8_t> padded(row.size(), 0);
  padded.back() = 1;
  const int64_t cols = static_cast<int64_t>(row.size());
  double sum = 0;
  for (int64_t j = 0; j + 1 < cols; ++j) sum += std::exp(static_cast<double>(row[j]));
  auto check = [&](const char* isa, auto softmax_rows) {
    std::vector<float> weights = row;
    softmax_rows(weights.data(), 1, cols, padded.data());
    for (int64_t j = 0; j < cols; ++j) {
      const double e = j + 1 < cols ? std::exp(static_cast<double>(row[j])) : 0.0;
      constexpr float kSmallestNormal = std::numeric_limits<float>::min();
      if (e < kSmallestNormal * 0.9999) {
        EXPECT_EQ(weights[j], 0) << isa << ": score " << row[j];
      } else if (e / sum < kSmallestNormal * 1.0001) {
        // A weight below the normal range: kept as a subnormal or flushed to 0 (where the process
        // runs with flush-to-zero), either is right.
        EXPECT_LE(weights[j], kSmallestNormal) << isa << ": score " << row[j];
      } else {
        EXPECT_NEAR(weights[j], e / sum, (3e-7 + 1.2e-7 * std::fabs(row[j])) * e / sum)
            << isa << ": score " << row[j];
      }
    }
  };
  check("baseline", baseline::SoftmaxRows);
  if (CpuRunsIsa("avx2")) check("avx2", avx2::SoftmaxRows);
  if (CpuRunsIsa("avx512")) check("avx512", avx512::SoftmaxRows);
}

}  // namespace
}  // namespace attnsweep
