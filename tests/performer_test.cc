// Performer (FAVOR+) against references written here from the formulas: the true kernel exp(x.y)
// and exact softmax attention computed directly, never by calling the module.
#include "experiments/models/performer_attention.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <cmath>

#include "experiments/memory/counting_allocator.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/models/structured_features.h"
#include "tests/favor_reference.h"

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
                                                        {"positive", "hadamard"},
                                                        {"positive", "givens"},
                                                        {"hyperbolic", "orthogonal"},
                                                        {"hyperbolic", "givens"},
                                                        {"trig", "iid"}}) {
    const auto estimates = Estimates(x, y, 32, kernel, sampling, 500, 7).to(at::kDouble);
    const auto mean = estimates.mean(0);
    const auto standard_error = estimates.std(0) / std::sqrt(500.0);
    const auto z = ((mean - truth).abs() / standard_error).max().item<double>();
    EXPECT_LT(z, 4.0) << kernel << "/" << sampling << ": a pair is " << z
                      << " standard errors from exp(x.y)";
  }
}

TEST(Performer, OrthogonalAndStructuredFeaturesBeatIidAtMEqualsD) {
  const auto [x, y] = SmallInputs(2);
  const auto truth = at::exp(at::matmul(x, y.t())).to(at::kDouble);
  auto mse = [&](const std::string& sampling) {
    const auto estimates = Estimates(x, y, kDim, "positive", sampling, 500, 11).to(at::kDouble);
    return (estimates - truth).pow(2).mean().item<double>();
  };
  const double orthogonal = mse("orthogonal"), iid = mse("iid");
  const double hadamard = mse("hadamard"), givens = mse("givens");
  std::printf(
      "kernel MSE at M = d = %lld over 500 draws: orthogonal %.4g, hadamard %.4g, givens %.4g, "
      "iid %.4g\n",
      static_cast<long long>(kDim), orthogonal, hadamard, givens, iid);
  EXPECT_LT(orthogonal, iid);
  EXPECT_LT(hadamard, iid);
  EXPECT_LT(givens, iid);
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

TEST(Performer, StructuredBlocksHaveOrthonormalDirections) {
  // Rows of each block orthonormal (exactly for Hadamard at a power of two), written-out Gram.
  for (const char* sampling : {"hadamard", "givens"}) {
    const auto w = DrawRandomFeatures(40, kDim, sampling, "chi", Seeded(5));
    ASSERT_EQ(w.sizes(), at::IntArrayRef({40, kDim}));
    const auto directions = w / w.norm(2, {1}, true);
    for (int64_t start = 0; start < 40; start += kDim) {
      const auto block = directions.slice(0, start, std::min<int64_t>(40, start + kDim));
      const auto gram = at::matmul(block, block.t());
      EXPECT_LT((gram - at::eye(block.size(0))).abs().max().item<double>(), 1e-5)
          << sampling << " " << start;
    }
    const auto fixed = DrawRandomFeatures(16, kDim, sampling, "sqrt_d", Seeded(5));
    EXPECT_LT((fixed.norm(2, {1}) - std::sqrt(double(kDim))).abs().max().item<double>(), 1e-4)
        << sampling;
  }
  // A Givens block is orthogonal at any d; a Hadamard one padded from d = 12 to 16 has unit rows.
  const auto givens = DrawGivensBlock(12, Seeded(6));
  EXPECT_LT((at::matmul(givens, givens.t()) - at::eye(12)).abs().max().item<double>(), 1e-5);
  const auto padded = DrawHadamardBlock(12, Seeded(6));
  ASSERT_EQ(padded.sizes(), at::IntArrayRef({12, 12}));
  EXPECT_LT((padded.norm(2, {1}) - 1).abs().max().item<double>(), 1e-5);
  // Two draws differ, the same seed gives the same block.
  EXPECT_FALSE(at::allclose(DrawHadamardBlock(16, Seeded(7)), DrawHadamardBlock(16, Seeded(8))));
  EXPECT_TRUE(at::equal(DrawGivensBlock(16, Seeded(7)), DrawGivensBlock(16, Seeded(7))));
}

TEST(Performer, StructuredDirectionsHaveTheMomentsOfUniformOnes) {
  // For a Haar-distributed orthogonal matrix U in R^(d x d): E[u_ij^2] = 1/d, E[u_ij^4] =
  // 3/(d(d+2)), and E[u_ij^2 u_ik^2] = E[u_ij^2 u_kj^2] = 1/(d(d+2)) (two entries of one row, of
  // one column). Each ratio of the mean over 2000 blocks to these within 2 % (QR's are 1.000,
  // 0.989, 1.008 with this seed); Givens with a quarter of its rotations had 1.038 for the fourth.
  const double d = kDim;
  for (const char* sampling : {"orthogonal", "hadamard", "givens"}) {
    auto generator = Seeded(12);
    std::vector<at::Tensor> blocks;
    for (int i = 0; i < 2000; ++i) {
      blocks.push_back(DrawRandomFeatures(kDim, kDim, sampling, "sqrt_d", generator) /
                       std::sqrt(d));
    }
    const auto u = at::stack(blocks).to(at::kDouble);  // (2000, rows, coordinates)
    const double second = u.pow(2).mean().item<double>() * d;
    const double fourth = u.pow(4).mean().item<double>() * d * (d + 2) / 3;
    const double in_row =
        (u.select(2, 0).pow(2) * u.select(2, 1).pow(2)).mean().item<double>() * d * (d + 2);
    const double in_column =
        (u.select(1, 0).pow(2) * u.select(1, 1).pow(2)).mean().item<double>() * d * (d + 2);
    std::printf(
        "%s: moments over Haar's: second %.4f, fourth %.3f, in a row %.3f, in a column %.3f\n",
        sampling, second, fourth, in_row, in_column);
    // H D1 H D2 H D3 is not Haar, only close: 3 % for it (its measured row moment: 0.975).
    const double tolerance = sampling == std::string("hadamard") ? 0.03 : 0.02;
    EXPECT_NEAR(second, 1.0, 1e-3) << sampling;
    EXPECT_NEAR(fourth, 1.0, tolerance) << sampling;
    EXPECT_NEAR(in_row, 1.0, tolerance) << sampling;
    EXPECT_NEAR(in_column, 1.0, tolerance) << sampling;
  }
}

TEST(Performer, AHadamardBlockIsTheProductOfItsFactorsWrittenOut) {
  // H D1 H D2 H D3 with the same signs, from an explicit Sylvester Hadamard matrix: the signs are
  // drawn in the order D3, D2, D1 from the generator, as randint(2) each.
  constexpr int64_t p = 8;
  auto h = at::ones({1, 1}, at::kDouble);
  while (h.size(0) < p) h = at::cat({at::cat({h, h}, 1), at::cat({h, -h}, 1)}, 0);
  h = h / std::sqrt(double(p));
  auto generator = Seeded(9);
  std::vector<at::Tensor> signs;
  for (int i = 0; i < 3; ++i) {
    signs.push_back(at::diag(
        at::randint(2, {p}, generator, at::TensorOptions(at::kLong)).to(at::kDouble) * 2 - 1));
  }
  const auto expected = at::matmul(
      h, at::matmul(signs[2], at::matmul(h, at::matmul(signs[1], at::matmul(h, signs[0])))));
  const auto block = DrawHadamardBlock(p, Seeded(9)).to(at::kDouble);
  EXPECT_LT((block - expected).abs().max().item<double>(), 1e-6) << block << expected;
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

TEST(Performer, ChunkedComputationEqualsTheFormula) {
  auto generator = Seeded(10);
  const auto options = at::TensorOptions(at::kFloat);
  const int64_t length = 37, real = 29;
  // Key norms growing along the sequence, so later chunks raise the key stabiliser's max and the
  // sums kept so far must be rescaled; the last 8 keys are padding holding huge values.
  const auto growth = at::linspace(0.5, 4.0, length, options).view({1, 1, length, 1});
  const auto q = at::randn({2, 2, length, kDim}, generator, options);
  auto k = at::randn({2, 2, length, kDim}, generator, options) * growth;
  const auto v = at::randn({2, 2, length, kDim}, generator, options);
  k.slice(2, real, length).fill_(50.0);
  const auto mask =
      at::zeros({2, length}, at::kBool).index_fill_(1, at::arange(real, length), true);
  for (const char* kernel : {"positive", "hyperbolic", "trig"}) {
    const auto w = DrawRandomFeatures(24, kDim, "orthogonal", "chi", generator);
    const auto k_real = k.slice(2, 0, real);
    const auto reference = FavorInDouble(q, k_real, v, w, kernel, real);
    for (int64_t rows : {1, 3, 7, 16, 64}) {
      const auto chunked = FavorAttention(q, k, v, w, kernel, mask, rows).to(at::kDouble);
      const double error =
          ((chunked - reference).abs() / (reference.abs() + 1e-3)).max().item<double>();
      EXPECT_LT(error, 1e-3) << kernel << " rows " << rows;
    }
  }
}

TEST(Performer, FeaturesStayInFp32WhenTheModelIsBf16) {
  torch::manual_seed(12);
  PerformerAttention layer(PerformerAttentionOptions(32, 2));
  layer->eval();
  torch::NoGradGuard no_grad;
  const auto x = at::randn({2, 50, 32});
  const auto reference = layer->forward(x);
  layer->to(at::kBFloat16);
  const auto low = layer->forward(x.to(at::kBFloat16));
  EXPECT_EQ(low.scalar_type(), at::kBFloat16);
  // bf16 keeps 8 bits of mantissa: the projections' rounding, not the features, sets the error.
  EXPECT_LT(((low.to(at::kFloat) - reference).norm() / reference.norm()).item<double>(), 0.05);
}

TEST(Performer, LayerHoldsNothingOfSequenceLengthButItsOutput) {
  CpuMemoryCounter::Install();
  // Peak bytes of one forward pass above what existed before it, and the output's own bytes.
  auto measure = [](int64_t length) {
    torch::manual_seed(9);
    PerformerAttention performer(PerformerAttentionOptions(64, 4));
    const auto x = at::randn({2, length, 64});
    torch::NoGradGuard no_grad;
    PeakMemoryMeasure measure;
    const auto output = performer->forward(x);
    return std::make_pair(static_cast<double>(measure.PeakAboveBaseline()),
                          static_cast<double>(output.numel() * output.element_size()));
  };
  const auto [short_peak, short_output] = measure(2048);
  const auto [long_peak, long_output] = measure(32768);
  // The output exists twice while its chunks are concatenated; everything else (a chunk's q, k, v
  // and features, phi(K)^T V) does not grow with L: a few MB at any length. At L = 32768 a
  // (B, H, L, M) feature tensor would add 47 MB, the whole sequence's q, k, v 50 MB.
  const double short_rest = short_peak - 2 * short_output, long_rest = long_peak - 2 * long_output;
  std::printf("peak beyond twice the output: %.2f MB at L = 2048, %.2f MB at L = 32768\n",
              short_rest / 1e6, long_rest / 1e6);
  EXPECT_LT(short_rest, 8e6);
  EXPECT_LT(long_rest, 8e6);
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
  EXPECT_EQ(a->draws.item<int64_t>(), 2);
  // A checkpoint needs only the draw count: redrawing draw 1 from the seed gives the same features.
  b->DrawFeatures(1);
  EXPECT_TRUE(at::equal(a->projection, b->projection));
}

}  // namespace
}  // namespace attnsweep
