#include "experiments/models/performer_attention.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

namespace attnsweep {

torch::Tensor DrawRandomFeatures(int64_t m, int64_t d, const std::string& sampling,
                                 const std::string& scaling, at::Generator generator) {
  TORCH_CHECK(m > 0 && d > 0, "features and d_head must be positive");
  if (sampling == "iid") return at::randn({m, d}, generator, at::TensorOptions(at::kFloat));
  TORCH_CHECK(sampling == "orthogonal", "unknown Performer sampling '", sampling, "'");
  std::vector<at::Tensor> blocks;
  for (int64_t rows = 0; rows < m; rows += d) {
    const auto gaussian = at::randn({d, d}, generator, at::TensorOptions(at::kFloat));
    // Columns of Q are orthonormal: its transpose's rows are d orthonormal directions. LAPACK picks
    // R's diagonal signs to suit its arithmetic, which biases Q's directions; multiplying each
    // column by the sign of its R diagonal makes Q uniformly (Haar) distributed, so each row's
    // direction is uniform and the kernel estimate unbiased.
    const auto [q, r] = at::linalg_qr(gaussian);
    blocks.push_back((q * at::sign(r.diagonal()).unsqueeze(0)).t());
  }
  auto directions = at::cat(blocks, 0).slice(0, 0, m);
  if (scaling == "sqrt_d") return directions * std::sqrt(static_cast<double>(d));
  TORCH_CHECK(scaling == "chi", "unknown Performer scaling '", scaling, "'");
  // Norms of independent Gaussian vectors: chi(d)-distributed, as iid rows' norms are.
  const auto norms = at::randn({m, d}, generator, at::TensorOptions(at::kFloat)).norm(2, {1}, true);
  return directions * norms;
}

namespace {

// The exponent and the multiplier of each kernel's features, before any stabiliser:
// phi(x) = multiplier * exp(exponent) (positive, hyperbolic), or trig's cos/sin form.
struct FeatureParts {
  at::Tensor projected;     // w.x: (..., L, M)
  at::Tensor half_norm_sq;  // |x|^2 / 2: (..., L, 1)
};

FeatureParts Parts(const at::Tensor& x, const at::Tensor& w) {
  return {at::matmul(x, w.t()), x.pow(2).sum(-1, true) / 2};
}

double Scale(const std::string& kernel, int64_t m) {
  return 1.0 / std::sqrt(static_cast<double>(kernel == "hyperbolic" ? 2 * m : m));
}

// Stabilised features: the exponent minus a max that is constant per query row (queries) or per
// (batch, head) over real keys (keys), so it cancels in D^-1 and nothing overflows. Detached.
at::Tensor StableFeatures(const at::Tensor& x, const at::Tensor& w, const std::string& kernel,
                          bool is_query, const at::Tensor& keep /* (B, 1, L, 1) or undefined */) {
  const auto parts = Parts(x, w);
  const double scale = Scale(kernel, w.size(0));
  const double neg_inf = -std::numeric_limits<double>::infinity();
  auto stabiliser = [&](const at::Tensor& exponent) {
    at::Tensor source = exponent.detach();
    if (!is_query && keep.defined()) source = source.masked_fill(keep.logical_not(), neg_inf);
    at::Tensor max = is_query ? std::get<0>(source.max(-1, true))
                              : std::get<0>(source.flatten(-2).max(-1, true)).unsqueeze(-1);
    return at::where(at::isinf(max), at::zeros_like(max), max);  // all keys padded: no shift
  };
  // Without autograd (inference, the forward benchmark) the steps run in place on one (.., L, M)
  // tensor: at long lengths each extra temporary is a fresh allocation paid for in page faults.
  const bool in_place = !at::GradMode::is_enabled();
  at::Tensor features;
  if (kernel == "positive" || kernel == "hyperbolic") {
    at::Tensor exponent =
        kernel == "positive" ? parts.projected : at::cat({parts.projected, -parts.projected}, -1);
    if (in_place) {
      exponent.sub_(parts.half_norm_sq);
      const auto shift = stabiliser(exponent);
      features = exponent.sub_(shift).exp_().mul_(scale);
    } else {
      exponent = exponent - parts.half_norm_sq;
      features = at::exp(exponent - stabiliser(exponent)) * scale;
    }
  } else {
    TORCH_CHECK(kernel == "trig", "unknown Performer kernel '", kernel, "'");
    const auto magnitude = at::exp(parts.half_norm_sq - stabiliser(parts.half_norm_sq)) * scale;
    features = at::cat({at::cos(parts.projected), at::sin(parts.projected)}, -1) * magnitude;
  }
  if (keep.defined()) features = in_place ? features.mul_(keep) : features * keep;
  return features;
}

}  // namespace

torch::Tensor PerformerFeatures(const torch::Tensor& x, const torch::Tensor& w,
                                const std::string& kernel) {
  const auto parts = Parts(x, w);
  const double scale = Scale(kernel, w.size(0));
  if (kernel == "positive") return at::exp(parts.projected - parts.half_norm_sq) * scale;
  if (kernel == "hyperbolic") {
    return at::exp(at::cat({parts.projected, -parts.projected}, -1) - parts.half_norm_sq) * scale;
  }
  TORCH_CHECK(kernel == "trig", "unknown Performer kernel '", kernel, "'");
  return at::cat({at::cos(parts.projected), at::sin(parts.projected)}, -1) *
         at::exp(parts.half_norm_sq) * scale;
}

torch::Tensor FavorAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& w, const std::string& kernel,
                             const torch::Tensor& key_padding_mask) {
  const auto input_type = v.scalar_type();
  const double normaliser = std::pow(static_cast<double>(q.size(-1)), -0.25);
  at::Tensor keep;
  if (key_padding_mask.defined()) {
    keep = key_padding_mask.logical_not().view({k.size(0), 1, k.size(2), 1}).to(at::kFloat);
  }
  // fp32 features whatever the model's dtype: fp16 exponentials overflow.
  const auto phi_q = StableFeatures(q.to(at::kFloat) * normaliser, w, kernel, true, {});
  const auto phi_k = StableFeatures(k.to(at::kFloat) * normaliser, w, kernel, false, keep);
  const auto values = v.to(at::kFloat);
  const auto kv = at::matmul(phi_k.transpose(-2, -1), values);              // (B, H, M, Dh)
  const auto numerator = at::matmul(phi_q, kv);                             // (B, H, L, Dh)
  const auto denominator = at::matmul(phi_q, phi_k.sum(-2).unsqueeze(-1));  // (B, H, L, 1)
  return (numerator / denominator).to(input_type);
}

PerformerAttentionImpl::PerformerAttentionImpl(const PerformerAttentionOptions& options_)
    : options(options_) {
  reset();
}

void PerformerAttentionImpl::reset() {
  Register(*this, options.d_model(), options.heads());
  const int64_t head_dim = options.d_model() / options.heads();
  if (options.features() == 0) {
    options.features(static_cast<int64_t>(
        std::ceil(head_dim * std::log(static_cast<double>(std::max<int64_t>(head_dim, 2))))));
  }
  // The module's own seed, from LibTorch's generator: torch::manual_seed fixes it.
  seed = at::randint(0, std::numeric_limits<int32_t>::max(), {1}, at::kLong).item<int64_t>();
  projection = register_buffer("projection", at::empty({options.features(), head_dim}));
  DrawFeatures(0);
}

void PerformerAttentionImpl::DrawFeatures(int64_t draw) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed + draw));
  const int64_t head_dim = options.d_model() / options.heads();
  projection.copy_(DrawRandomFeatures(options.features(), head_dim, options.sampling(),
                                      options.scaling(), generator));
  draws = draw + 1;
}

torch::Tensor PerformerAttentionImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  if (is_training()) {
    if (options.redraw() > 0 && training_steps > 0 && training_steps % options.redraw() == 0) {
      DrawFeatures(draws);
    }
    ++training_steps;
  }
  const QkvHeads heads = Split(x);
  // Split scaled q by d^-1/2 for exact attention; FAVOR+ applies its own d^-1/4 to q and k.
  const double unscale = std::sqrt(static_cast<double>(heads.q.size(-1)));
  return Merge(FavorAttention(heads.q * unscale, heads.k, heads.v, projection, options.kernel(),
                              key_padding_mask));
}

}  // namespace attnsweep
