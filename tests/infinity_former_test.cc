// The ∞-former's long-term memory against references computed here: a smooth signal and its
// reconstruction, the closed-form expectation against numerical integration, where sticky
// memories put their samples, and the layer's behaviour across segments.
#include "experiments/models/infinity_former.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

namespace attnsweep {
namespace {

const std::vector<double> kWidths = {0.01, 0.05};

// A smooth signal of 3 channels at `count` evenly spaced t in (0, 1): (1, count, 3).
std::pair<at::Tensor, at::Tensor> SmoothSignal(int64_t count) {
  const auto t = (at::arange(count, at::kDouble) + 0.5) / double(count);
  const auto x = at::stack({at::sin(2 * M_PI * t), 0.5 * at::cos(5 * M_PI * t) + t * t,
                            at::exp(-at::pow((t - 0.4) / 0.2, 2))},
                           -1);
  return {t, x.unsqueeze(0)};
}

TEST(InfinityFormer, RidgeFitReconstructsASmoothSignal) {
  const auto [t, x] = SmoothSignal(512);
  const RbfBasis basis = MakeRbfBasis(64, kWidths);
  ASSERT_EQ(basis.size(), 64);
  const auto design = EvaluateBasis(basis, t).unsqueeze(0);  // (1, 512, 64)
  const auto coefficients = FitCoefficients(design, x, at::ones({1, 512}), 1e-6);
  const double error = ((at::matmul(design, coefficients) - x).norm() / x.norm()).item<double>();
  std::printf("relative reconstruction error, N = 64, 512 points: %.2e\n", error);
  EXPECT_LE(error, 1e-2);
  // Rows of weight 0 are left out: garbage there changes nothing.
  auto spoiled = x.clone();
  spoiled.slice(1, 100, 140).fill_(1e6);
  auto weights = at::ones({1, 512});
  weights.slice(1, 100, 140).zero_();
  const auto masked = FitCoefficients(design, spoiled, weights, 1e-6);
  const auto kept =
      FitCoefficients(design.index_select(1, at::cat({at::arange(100), at::arange(140, 512)})),
                      x.index_select(1, at::cat({at::arange(100), at::arange(140, 512)})),
                      at::ones({1, 472}), 1e-6);
  EXPECT_LT((masked - kept).abs().max().item<double>(), 1e-6);
}

TEST(InfinityFormer, ClosedFormExpectationMatchesNumericalIntegration) {
  const RbfBasis basis = MakeRbfBasis(12, kWidths);
  // The trapezoid rule on a fine grid, far beyond where either Gaussian has mass.
  const auto grid = at::linspace(-3, 4, 700001, at::kDouble);
  const double step = 7.0 / 700000;
  for (const auto& [mu, variance] : std::vector<std::pair<double, double>>{
           {0.3, 0.002}, {0.8, 1e-4}, {0.05, 0.04}, {0.5, 0.5}}) {
    const auto density =
        at::exp(-(grid - mu).pow(2) / (2 * variance)) / std::sqrt(2 * M_PI * variance);
    const auto integrand = EvaluateBasis(basis, grid) * density.unsqueeze(-1);  // (T, N)
    const auto numeric = (integrand.sum(0) - (integrand[0] + integrand[-1]) / 2) * step;
    const auto closed =
        ExpectedBasis(basis, at::full({1}, mu, at::kDouble), at::full({1}, variance, at::kDouble));
    EXPECT_LT((closed - numeric).abs().max().item<double>(), 1e-6) << mu << " " << variance;
  }
}

TEST(InfinityFormer, StickyLocationsGoWhereTheAttentionWent) {
  // Queries of 2 heads, all with densities centred at 0.8 (sd 0.05); one padded query elsewhere.
  auto mu = at::full({1, 2, 5, 1}, 0.8, at::kDouble);
  mu.select(2, 4).fill_(0.1);
  const auto variance = at::full({1, 2, 5, 1}, 0.0025, at::kDouble);
  auto weights = at::ones({1, 5}, at::kDouble);
  weights[0][4] = 0;
  const auto histogram = AttentionHistogram(mu, variance, weights, 64);
  EXPECT_NEAR(histogram.sum().item<double>(), 1.0, 1e-12);
  const auto locations = StickyLocations(histogram, 64);
  const double near = ((locations - 0.8).abs() < 0.1).to(at::kDouble).mean().item<double>();
  std::printf("share of sticky locations within 0.1 of 0.8: %.3f\n", near);
  EXPECT_GT(near, 0.9);
  EXPECT_TRUE((locations >= 0).all().item<bool>() && (locations <= 1).all().item<bool>());
  // Nothing went near the padded query's 0.1.
  EXPECT_EQ((locations < 0.4).sum().item<int64_t>(), 0);
  // A flat histogram gives evenly spaced locations (what an update without sticky memories uses).
  const auto even = StickyLocations(at::ones({1, 16}, at::kDouble), 16);
  const auto expected = (at::arange(16, at::kDouble) + 0.5) / 16;
  EXPECT_LT((even[0] - expected).abs().max().item<double>(), 1e-12);
}

TEST(InfinityFormer, MemoryStaysOneSizeAcrossSegments) {
  InfinityFormerOptions options(8, 2);
  options.basis(16).samples(16);
  LongTermMemory memory(options, MakeRbfBasis(16, kWidths));
  EXPECT_TRUE(memory.empty());
  for (int segment = 0; segment < 6; ++segment) {
    auto real = at::ones({2, 10}, at::kBool);
    if (segment >= 3) real[1].fill_(false);  // the second sequence has ended: nothing to add
    const auto before = memory.empty() ? at::Tensor() : memory.coefficients().clone();
    memory.Update(at::randn({2, 10, 8}), real, {});
    EXPECT_EQ(memory.coefficients().sizes(), at::IntArrayRef({2, 16, 8}));
    if (segment >= 3) {
      EXPECT_TRUE(at::equal(memory.coefficients()[1], before[1]));
    }
  }
  EXPECT_TRUE(memory.holds().all().item<bool>());
}

TEST(InfinityFormer, ReconstructionErrorFallsWithBasisSize) {
  // Smooth states read in 8 segments of 64: the memory must hold the whole history.
  const auto [t, x] = SmoothSignal(512);
  std::vector<double> errors;
  for (int64_t n : {8, 32, 128}) {
    InfinityFormerOptions options(3, 1);
    options.segment(64).basis(n).samples(128).ridge(1e-3).widths({0.02, 0.08});
    errors.push_back(MemoryReconstructionError(options, x.to(at::kFloat), {}));
  }
  std::printf("reconstruction error of 512 states at N = 8, 32, 128: %.3f, %.3f, %.3f\n", errors[0],
              errors[1], errors[2]);
  EXPECT_GT(errors[0], errors[1]);
  EXPECT_GT(errors[1], errors[2]);
  EXPECT_LT(errors[2], 0.1);
}

TEST(InfinityFormer, LongTermMemoryReachesLaterSegments) {
  torch::manual_seed(3);
  InfinityFormer layer(InfinityFormerOptions(16, 2).segment(8).basis(16).samples(16));
  layer->eval();
  torch::NoGradGuard no_grad;
  const auto x = at::randn({1, 32, 16});
  auto changed = x.clone();
  changed.slice(1, 0, 8).add_(1.0);  // only the first segment differs
  const auto a = layer->forward(x), b = layer->forward(changed);
  // The first segment differs by construction; later ones only through the memory.
  EXPECT_GT((a.slice(1, 8, 32) - b.slice(1, 8, 32)).abs().max().item<double>(), 1e-4);
  // Sticky memories sample the past elsewhere, so they read it differently.
  InfinityFormer sticky(InfinityFormerOptions(16, 2).segment(8).basis(16).samples(16).sticky(true));
  for (size_t i = 0; i < layer->parameters().size(); ++i) {
    sticky->parameters()[i].copy_(layer->parameters()[i]);
  }
  sticky->eval();
  const auto s = sticky->forward(x);
  EXPECT_LT((s.slice(1, 0, 16) - a.slice(1, 0, 16)).abs().max().item<double>(), 1e-6);
  EXPECT_GT((s.slice(1, 16, 32) - a.slice(1, 16, 32)).abs().max().item<double>(), 1e-6);
}

TEST(InfinityFormer, DetachStopsGradientsIntoThePast) {
  auto gradient_into_first_segment = [](bool detach) {
    torch::manual_seed(4);
    InfinityFormer layer(InfinityFormerOptions(8, 2).segment(4).basis(8).samples(8).detach(detach));
    auto x = at::randn({1, 12, 8}).requires_grad_();
    // A loss on the last segment only: the first segment reaches it only through the memory.
    layer->forward(x).slice(1, 8, 12).sum().backward();
    return x.grad().slice(1, 0, 4).abs().sum().item<double>();
  };
  EXPECT_EQ(gradient_into_first_segment(true), 0.0);
  EXPECT_GT(gradient_into_first_segment(false), 0.0);
}

}  // namespace
}  // namespace attnsweep
