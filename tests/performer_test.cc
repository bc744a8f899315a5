// Performer (FAVOR+) against references written here from the formulas: the true kernel exp(x.y)
// and exact softmax attention computed directly, never by calling the module.
#include "experiments/models/performer_attention.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

#include "experiments/memory/counting_allocator.h"

namespace attnsweep {
namespace {

constexpr int64_t kDim = 16;

at::Generator Seeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Kernel estimates phi(X) phi(Y)^T for `draws` independent draws: (draws, n, n).
at::Tensor Estimates(const at::Tensor& x, const at::Tensor& y, int64_t m, const std::string& kernel,
                     const std::string& sampling, int draws, uint64_t seed) {
  auto generator = Seeded(seed);
  std::vector<at::Tensor> all;
  for (int i = 0; i < draws; ++i) {
    const auto w = DrawRandomFeatures(m, kDim, sampling, "chi", generator);
    all.push_back(at::matmul(PerformerFeatures(x, w, kernel), PerformerFeatures(y, w, kernel).t()));
  }
  return at::stack(all);
}

// x, y ~ N(0, 0.5^2) d^-1/4: the inputs of the kernel after Performer's normaliser.
std::pair<at::Tensor, at::Tensor> SmallInputs(uint64_t seed) {
  auto generator = Seeded(seed);
  const double scale = 0.5 * std::pow(kDim, -0.25);
  return {at::randn({8, kDim}, generator, at::TensorOptions(at::kFloat)) * scale,
          at::randn({8, kDim}, generator, at::TensorOptions(at::kFloat)) * scale};
}

TEST(Performer, KernelEstimatesAreUnbiased) {
  const auto [x, y] = SmallInputs(1);
  const auto truth = at::exp(at::matmul(x, y.t())).to(at::kDouble);
  for (const auto& [kernel, sampling] :
       std::vector<std::pair<std::string, std::string>>{{"positive", "orthogonal"},
                                                        {"positive", "iid"},
                                                        {"hyperbolic", "orthogonal"},
                                                        {"trig", "iid"}}) {
    const auto estimates = Estimates(x, y, 32, kernel, sampling, 500, 7).to(at::kDouble);
    const auto mean = estimates.mean(0);
    const auto standard_error = estimates.std(0) / std::sqrt(500.0);
    const auto z = ((mean - truth).abs() / standard_error).max().item<double>();
    EXPECT_LT(z, 4.0) << kernel << "/" << sampling << ": a pair is " << z
                      << " standard errors from exp(x.y)";
  }
}

TEST(Performer, OrthogonalFeaturesBeatIidAtMEqualsD) {
  const auto [x, y] = SmallInputs(2);
  const auto truth = at::exp(at::matmul(x, y.t())).to(at::kDouble);
  auto mse = [&](const std::string& sampling) {
    const auto estimates = Estimates(x, y, kDim, "positive", sampling, 500, 11).to(at::kDouble);
    return (estimates - truth).pow(2).mean().item<double>();
  };
  const double orthogonal = mse("orthogonal"), iid = mse("iid");
  std::printf("kernel MSE at M = d = %lld over 500 draws: orthogonal %.4g, iid %.4g\n",
              static_cast<long long>(kDim), orthogonal, iid);
  EXPECT_LT(orthogonal, iid);
}

TEST(Performer, AttentionErrorFallsWithFeatures) {
  auto generator = Seeded(3);
  const auto options = at::TensorOptions(at::kFloat);
  const auto q = at::randn({1, 1, 256, kDim}, generator, options) * 0.5;
  const auto k = at::randn({1, 1, 256, kDim}, generator, options) * 0.5;
  const auto v = at::randn({1, 1, 256, kDim}, generator, options);
  // Exact softmax attention, written out.
  const auto reference =
      at::matmul(at::softmax(at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(kDim)), -1), v);
  std::vector<double> errors;
  for (int64_t m : {16, 64, 256}) {
    double total = 0;
    for (int draw = 0; draw < 10; ++draw) {
      const auto w = DrawRandomFeatures(m, kDim, "orthogonal", "chi", generator);
      const auto estimate = FavorAttention(q, k, v, w, "positive", {});
      total += ((estimate - reference).norm() / reference.norm()).item<double>();
    }
    errors.push_back(total / 10);
  }
  std::printf("mean relative error of the output at M = 16, 64, 256: %.3f, %.3f, %.3f\n", errors[0],
              errors[1], errors[2]);
  EXPECT_GT(errors[0], errors[1]);
  EXPECT_GT(errors[1], errors[2]);
  EXPECT_LE(errors[2], 0.25);
}

TEST(Performer, PositiveFeaturesAreNeverNegative) {
  auto generator = Seeded(4);
  const auto x = at::randn({64, kDim}, generator, at::TensorOptions(at::kFloat)) * 3;
  const auto w = DrawRandomFeatures(64, kDim, "orthogonal", "chi", generator);
  EXPECT_GE(PerformerFeatures(x, w, "positive").min().item<double>(), 0.0);
  EXPECT_GE(PerformerFeatures(x, w, "hyperbolic").min().item<double>(), 0.0);
}

TEST(Performer, OrthogonalBlocksHaveOrthonormalDirections) {
  const auto w = DrawRandomFeatures(40, kDim, "orthogonal", "chi", Seeded(5));
  ASSERT_EQ(w.sizes(), at::IntArrayRef({40, kDim}));
  const auto directions = w / w.norm(2, {1}, true);
  for (int64_t start = 0; start < 40; start += kDim) {
    const auto block = directions.slice(0, start, std::min<int64_t>(40, start + kDim));
    const auto gram = at::matmul(block, block.t());
    EXPECT_LT((gram - at::eye(block.size(0))).abs().max().item<double>(), 1e-5) << start;
  }
  const auto fixed = DrawRandomFeatures(16, kDim, "orthogonal", "sqrt_d", Seeded(5));
  EXPECT_LT((fixed.norm(2, {1}) - std::sqrt(double(kDim))).abs().max().item<double>(), 1e-4);
}

TEST(Performer, LargeInputsStayFinite) {
  auto generator = Seeded(6);
  const auto options = at::TensorOptions(at::kFloat);
  auto rows = [&](int64_t n) {
    const auto x = at::randn({1, 2, n, kDim}, generator, options);
    return x / x.norm(2, {-1}, true) * 30.0;  // every row of norm 30
  };
  const auto q = rows(64), k = rows(64), v = at::randn({1, 2, 64, kDim}, generator, options);
  for (const char* kernel : {"positive", "hyperbolic"}) {
    const auto w = DrawRandomFeatures(32, kDim, "orthogonal", "chi", generator);
    const auto mask = at::zeros({1, 64}, at::kBool).index_fill_(1, at::arange(50, 64), true);
    EXPECT_TRUE(at::isfinite(FavorAttention(q, k, v, w, kernel, {})).all().item<bool>()) << kernel;
    EXPECT_TRUE(at::isfinite(FavorAttention(q, k, v, w, kernel, mask)).all().item<bool>())
        << kernel;
  }
}

TEST(Performer, PaddedKeysDoNotReachTheNormaliser) {
  auto generator = Seeded(8);
  const auto options = at::TensorOptions(at::kFloat);
  const auto q = at::randn({1, 1, 10, kDim}, generator, options);
  const auto k = at::randn({1, 1, 10, kDim}, generator, options);
  const auto v = at::randn({1, 1, 10, kDim}, generator, options);
  const auto w = DrawRandomFeatures(32, kDim, "orthogonal", "chi", generator);
  // Padded keys with huge values (which would dominate the stabiliser) and zero values (which is
  // all that zeroing V achieves): the output must equal attention over the 6 real keys alone.
  auto k_padded = k.clone(), v_padded = v.clone();
  k_padded.slice(2, 6, 10).fill_(40.0);
  v_padded.slice(2, 6, 10).zero_();
  const auto mask = at::zeros({1, 10}, at::kBool).index_fill_(1, at::arange(6, 10), true);
  const auto with_padding = FavorAttention(q, k_padded, v_padded, w, "positive", mask);
  const auto alone = FavorAttention(q, k.slice(2, 0, 6), v.slice(2, 0, 6), w, "positive", {});
  EXPECT_LT((with_padding - alone).abs().max().item<double>(), 1e-5);
}

TEST(Performer, MemoryIsLinearInLength) {
  CpuMemoryCounter::Install();
  auto peak = [](int64_t length) {
    torch::manual_seed(9);
    PerformerAttention performer(PerformerAttentionOptions(64, 4));
    const auto x = at::randn({2, length, 64});
    torch::NoGradGuard no_grad;
    ScopedPeakMeasure measure;
    performer->forward(x);
    return static_cast<double>(measure.PeakAboveBaseline());
  };
  const double ratio = peak(4096) / peak(1024);
  EXPECT_GT(ratio, 3.0);
  EXPECT_LT(ratio, 4.5) << "4x the length must cost about 4x the memory, not 16x";
}

TEST(Performer, FeaturesAreSeededAndRedrawnOnlyInTraining) {
  auto make = [] {
    torch::manual_seed(10);
    return PerformerAttention(PerformerAttentionOptions(32, 2).redraw(2));
  };
  PerformerAttention a = make(), b = make();
  EXPECT_TRUE(at::equal(a->projection, b->projection)) << "the same seed, the same features";
  EXPECT_EQ(a->feature_count(), static_cast<int64_t>(std::ceil(16 * std::log(16.0))));
  const auto x = at::randn({1, 8, 32});
  const auto first = a->projection.clone();
  a->eval();
  for (int i = 0; i < 5; ++i) a->forward(x);
  EXPECT_TRUE(at::equal(a->projection, first)) << "never redrawn in evaluation";
  a->train();
  a->forward(x);
  a->forward(x);
  EXPECT_TRUE(at::equal(a->projection, first)) << "steps 1 and 2 use the first draw";
  a->forward(x);
  EXPECT_FALSE(at::equal(a->projection, first)) << "step 3 redraws";
  EXPECT_EQ(a->draws, 2);
  // A checkpoint needs only the draw count: redrawing draw 1 from the seed gives the same features.
  b->DrawFeatures(1);
  EXPECT_TRUE(at::equal(a->projection, b->projection));
}

}  // namespace
}  // namespace attnsweep
