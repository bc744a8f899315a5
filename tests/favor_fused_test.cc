// The fused FAVOR+ function against FAVOR+ written out in double (tests/favor_reference.h), its
// gradients against autograd through that formula, and the Performer layer's training path
// against its streamed inference path.
#include "experiments/models/favor_fused.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "experiments/models/performer_attention.h"
#include "tests/favor_reference.h"

namespace attnsweep {
namespace {

constexpr int64_t kHeadDim = 16;

at::Generator FusedSeeded(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Relative gap, each element against the reference's magnitude (plus a floor near zero).
double FusedRelativeGap(const at::Tensor& ours, const at::Tensor& reference) {
  return ((ours.to(at::kDouble) - reference).abs() / (reference.abs() + 1e-3)).max().item<double>();
}

struct FavorInputs {
  at::Tensor q, k, v, mask;  // mask: (B, L) true at padding, the last keys of the second sequence
  int64_t real_keys;         // of the second sequence
};

// Two sequences of 37 rows (the first all real, the second with 8 padded keys holding huge values),
// key norms growing along the sequence.
FavorInputs FusedInputs(uint64_t seed) {
  auto generator = FusedSeeded(seed);
  const auto options = at::TensorOptions(at::kFloat);
  const int64_t length = 37, real = 29;
  const auto growth = at::linspace(0.5, 3.0, length, options).view({1, 1, length, 1});
  FavorInputs in;
  in.q = at::randn({2, 3, length, kHeadDim}, generator, options);
  in.k = at::randn({2, 3, length, kHeadDim}, generator, options) * growth;
  in.v = at::randn({2, 3, length, kHeadDim}, generator, options);
  in.k[1].slice(1, real, length).fill_(60.0);
  in.v[1].slice(1, real, length).fill_(1e4);
  in.mask = at::zeros({2, length}, at::kBool);
  in.mask[1].slice(0, real, length).fill_(true);
  in.real_keys = real;
  return in;
}

// The reference per sequence (each with its own real keys), stacked: (B, H, L, D) in double.
at::Tensor FusedReference(const FavorInputs& in, const at::Tensor& q, const at::Tensor& k,
                          const at::Tensor& v, const at::Tensor& w, const std::string& kernel) {
  return at::cat(
      {FavorInDouble(q.narrow(0, 0, 1), k.narrow(0, 0, 1), v.narrow(0, 0, 1), w, kernel, k.size(2)),
       FavorInDouble(q.narrow(0, 1, 1), k.narrow(0, 1, 1), v.narrow(0, 1, 1), w, kernel,
                     in.real_keys)});
}

TEST(FusedFavor, ForwardAndGradientsEqualTheFormulaInDouble) {
  const auto in = FusedInputs(3);
  auto generator = FusedSeeded(4);
  for (const char* kernel : {"positive", "hyperbolic"}) {
    const auto w = DrawRandomFeatures(24, kHeadDim, "orthogonal", "chi", generator);
    const auto q = in.q.clone().requires_grad_(), k = in.k.clone().requires_grad_();
    const auto v = in.v.clone().requires_grad_();
    const auto out = FusedFavor(q, k, v, w, kernel == std::string("hyperbolic"), in.mask);
    const auto qd = in.q.to(at::kDouble).requires_grad_(),
               kd = in.k.to(at::kDouble).requires_grad_();
    const auto vd = in.v.to(at::kDouble).requires_grad_();
    const auto reference = FusedReference(in, qd, kd, vd, w, kernel);
    // float32 exponentials of exponents up to ~10: the streamed form's bound (performer_test.cc).
    EXPECT_LT(FusedRelativeGap(out.detach(), reference.detach()), 1e-3) << kernel;

    // The gradient of a random projection of the output, in every input.
    const auto direction = at::randn(out.sizes(), generator, at::TensorOptions(at::kFloat));
    (out * direction).sum().backward();
    (reference * direction.to(at::kDouble)).sum().backward();
    for (auto [name, ours, theirs] :
         {std::make_tuple("q", q.grad(), qd.grad()), std::make_tuple("k", k.grad(), kd.grad()),
          std::make_tuple("v", v.grad(), vd.grad())}) {
      const double scale = theirs.abs().max().item<double>();
      EXPECT_LT((ours.to(at::kDouble) - theirs).abs().max().item<double>(), 1e-4 * scale)
          << kernel << " d" << name;
    }
    // Padded keys reach nothing: their gradients are zero, whatever they hold.
    EXPECT_EQ(k.grad()[1].slice(1, in.real_keys).abs().max().item<float>(), 0.0f) << kernel;
    EXPECT_EQ(v.grad()[1].slice(1, in.real_keys).abs().max().item<float>(), 0.0f) << kernel;
  }
}

TEST(FusedFavor, EqualsTheStreamedFormOnLargeInputs) {
  // Rows of norm 30: exp(w.x) overflows float unless both stabilisers work; the streamed form
  // (FavorAttention, chunks of 5 rows) is the other implementation of the same stabilised formula.
  auto generator = FusedSeeded(6);
  const auto options = at::TensorOptions(at::kFloat);
  auto rows = [&](int64_t n) {
    const auto x = at::randn({2, 2, n, kHeadDim}, generator, options);
    return x / x.norm(2, {-1}, true) * 30.0;
  };
  const auto q = rows(48), k = rows(48), v = at::randn({2, 2, 48, kHeadDim}, generator, options);
  const auto mask = at::zeros({2, 48}, at::kBool);
  mask[0].slice(0, 40).fill_(true);
  for (const char* kernel : {"positive", "hyperbolic"}) {
    const auto w = DrawRandomFeatures(32, kHeadDim, "orthogonal", "chi", generator);
    const auto fused = FusedFavor(q, k, v, w, kernel == std::string("hyperbolic"), mask);
    const auto streamed = FavorAttention(q, k, v, w, kernel, mask, /*chunk_rows=*/5);
    ASSERT_TRUE(at::isfinite(fused).all().item<bool>()) << kernel;
    EXPECT_LT((fused - streamed).abs().max().item<double>(), 1e-4) << kernel;
  }
}

TEST(FusedFavor, TheLayersTrainingPathEqualsItsStreamedInference) {
  for (const char* kernel : {"positive", "hyperbolic"}) {
    torch::manual_seed(8);
    PerformerAttention layer(PerformerAttentionOptions(64, 4).kernel(kernel));
    const auto x = at::randn({3, 70, 64});
    const auto mask = at::zeros({3, 70}, at::kBool);
    mask[2].slice(0, 50).fill_(true);
    layer->eval();
    at::Tensor streamed;
    {
      torch::NoGradGuard no_grad;
      streamed = layer->forward(x, mask);
    }
    const auto fused = layer->forward(x, mask);  // eval with autograd: the fused function
    EXPECT_LT((fused.detach() - streamed).abs().max().item<double>(), 1e-5) << kernel;
    // And its parameters get gradients.
    fused.pow(2).sum().backward();
    for (const auto& parameter : layer->parameters()) {
      ASSERT_TRUE(parameter.grad().defined()) << kernel;
      EXPECT_GT(parameter.grad().abs().sum().item<double>(), 0.0) << kernel;
    }
  }
}

}  // namespace
}  // namespace attnsweep
