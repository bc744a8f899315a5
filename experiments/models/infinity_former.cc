#include "experiments/models/infinity_former.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "experiments/models/attention_factory.h"
#include "experiments/models/softmax_attention.h"

namespace attnsweep {
namespace {

constexpr double kSqrtTwoPi = 2.5066282746310002;
// The narrowest Gaussian a query may put over [0, 1]: as narrow as the narrowest basis function
// commonly used (0.01), so a query cannot ask for detail the memory does not hold.
constexpr double kMinVariance = 1e-4;

// (B, N, d) -> (B, H, N, Dh)
at::Tensor SplitHeads(const at::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

}  // namespace

RbfBasis MakeRbfBasis(int64_t n, const std::vector<double>& widths) {
  TORCH_CHECK(n > 0, "the ∞-former needs at least one basis function");
  TORCH_CHECK(!widths.empty(), "the ∞-former needs at least one basis width");
  const auto options = at::TensorOptions(at::kDouble);
  std::vector<at::Tensor> centers, sigmas;
  const int64_t kinds = static_cast<int64_t>(widths.size());
  for (int64_t i = 0; i < kinds; ++i) {
    TORCH_CHECK(widths[i] > 0, "basis widths must be positive, got ", widths[i]);
    const int64_t count = n / kinds + (i < n % kinds ? 1 : 0);
    if (count == 0) continue;
    centers.push_back(count == 1 ? at::full({1}, 0.5, options)
                                 : at::linspace(0, 1, count, options));
    sigmas.push_back(at::full({count}, widths[i], options));
  }
  return {at::cat(centers), at::cat(sigmas)};
}

at::Tensor EvaluateBasis(const RbfBasis& basis, const at::Tensor& t) {
  const auto centers = basis.centers.to(t.options()), widths = basis.widths.to(t.options());
  const auto z = (t.unsqueeze(-1) - centers) / widths;
  return at::exp(z.pow(2) * -0.5) / (widths * kSqrtTwoPi);
}

at::Tensor ExpectedBasis(const RbfBasis& basis, const at::Tensor& mu, const at::Tensor& variance) {
  const auto centers = basis.centers.to(mu.options()), widths = basis.widths.to(mu.options());
  // The convolution of two Gaussians: N(mu; c_j, w_j^2 + s^2).
  const auto total = widths.pow(2) + variance;
  return at::exp((mu - centers).pow(2) / (total * -2.0)) / at::sqrt(total * (2 * M_PI));
}

at::Tensor FitCoefficients(const at::Tensor& design, const at::Tensor& states,
                           const at::Tensor& weights, double ridge) {
  const auto f = design.to(at::kDouble);
  const auto weighted = f * weights.to(at::kDouble).unsqueeze(-1);
  const int64_t n = f.size(-1);
  const auto gram = at::matmul(weighted.transpose(-2, -1), f) +
                    at::eye(n, f.options()) * ridge;  // (B, N, N), positive definite
  const auto rhs = at::matmul(weighted.transpose(-2, -1), states.to(at::kDouble));
  return at::linalg_solve(gram, rhs).to(states.scalar_type());
}

at::Tensor AttentionHistogram(const at::Tensor& mu, const at::Tensor& variance,
                              const at::Tensor& query_weights, int64_t bins) {
  const auto options = at::TensorOptions(at::kDouble).device(mu.device());
  const auto edges = at::linspace(0, 1, bins + 1, options);
  const auto sigma = at::sqrt(variance.to(at::kDouble));
  const auto cdf = (at::erf((edges - mu.to(at::kDouble)) / (sigma * std::sqrt(2.0))) + 1) * 0.5;
  const auto mass = cdf.narrow(-1, 1, bins) - cdf.narrow(-1, 0, bins);  // (B, H, Q, bins)
  const auto weights = query_weights.to(at::kDouble).view({mu.size(0), 1, mu.size(2), 1});
  auto histogram = (mass * weights).sum({1, 2});  // (B, bins)
  const auto total = histogram.sum(-1, true);
  return at::where(total > 0, histogram / total.clamp_min(1e-300),
                   at::full_like(histogram, 1.0 / static_cast<double>(bins)));
}

at::Tensor StickyLocations(const at::Tensor& histogram, int64_t count) {
  const int64_t bins = histogram.size(-1);
  const auto h = histogram.to(at::kDouble);
  const auto cdf = at::cumsum(h, -1) / h.sum(-1, true);
  const auto targets = ((at::arange(count, cdf.options()) + 0.5) / static_cast<double>(count))
                           .expand({h.size(0), count})
                           .contiguous();
  // The bin holding each quantile, then the quantile's place within it (mass spread evenly).
  const auto index = at::searchsorted(cdf, targets).clamp_max(bins - 1);
  const auto before =
      at::where(index > 0, cdf.gather(-1, (index - 1).clamp_min(0)), at::zeros_like(targets));
  const auto mass = cdf.gather(-1, index) - before;
  const auto within = ((targets - before) / mass.clamp_min(1e-300)).clamp(0, 1);
  return (index.to(at::kDouble) + within) / static_cast<double>(bins);
}

at::Tensor NewStatePositions(const at::Tensor& real, const at::Tensor& held, double tau) {
  const auto realf = real.to(at::kDouble);
  const auto rank = at::cumsum(realf, 1) - 1;  // 0, 1, ... over real positions
  const auto count = realf.sum(1, true).clamp_min(1);
  const auto start =
      at::where(held.view({-1, 1}), at::full_like(count, tau), at::zeros_like(count));
  const auto positions = start + (1 - start) * (rank + 0.5) / count;
  return at::where(real, positions, at::full_like(positions, -1.0));
}

LongTermMemory::LongTermMemory(const InfinityFormerOptions& options, const RbfBasis& basis)
    : options_(options), basis_(basis) {}

at::Tensor LongTermMemory::Evaluate(const at::Tensor& t) const {
  TORCH_CHECK(!empty(), "the long-term memory holds nothing yet");
  const auto design = EvaluateBasis(basis_, t.to(at::kDouble)).to(coefficients_.scalar_type());
  return at::matmul(design, coefficients_);
}

void LongTermMemory::Update(const at::Tensor& states, const at::Tensor& real,
                            const at::Tensor& histogram) {
  const int64_t batch = states.size(0);
  const auto added = real.any(1);  // (B)
  const auto held = empty() ? at::zeros({batch}, real.options()) : holds_;
  at::Tensor positions = NewStatePositions(real, held, options_.tau());
  at::Tensor values = options_.detach() ? states.detach() : states;
  at::Tensor weights = real.to(at::kDouble);
  if (!empty()) {
    // The old signal, sampled at M locations (where attention went, or evenly) and contracted
    // into [0, tau]; only for batch elements that held something.
    const int64_t m = options_.samples();
    const auto locations = StickyLocations(
        histogram.defined() ? histogram : at::ones({batch, m}, weights.options()), m);
    auto past = Evaluate(locations);
    if (options_.detach()) past = past.detach();
    positions = at::cat({locations * options_.tau(), positions}, 1);
    values = at::cat({past, values}, 1);
    weights = at::cat({held.to(at::kDouble).view({batch, 1}).expand({batch, m}), weights}, 1);
  }
  const auto design = EvaluateBasis(basis_, positions.clamp(0, 1));
  const auto fitted = FitCoefficients(design, values, weights, options_.ridge());
  const auto keep_old = added.logical_not().view({batch, 1, 1});
  coefficients_ = empty() ? at::where(keep_old, at::zeros_like(fitted), fitted)
                          : at::where(keep_old, coefficients_, fitted);
  holds_ = held.logical_or(added);
}

InfinityFormerImpl::InfinityFormerImpl(const InfinityFormerOptions& options_) : options(options_) {
  reset();
}

void InfinityFormerImpl::reset() {
  TORCH_CHECK(options.segment() > 0, "model.infinity.segment must be positive");
  TORCH_CHECK(options.samples() > 0, "model.infinity.samples must be positive");
  TORCH_CHECK(options.tau() > 0 && options.tau() < 1, "model.infinity.tau must lie in (0, 1)");
  Register(*this, options.d_model(), options.heads());
  basis = MakeRbfBasis(options.basis(), options.widths());
  const int64_t d = options.d_model(), n = options.basis();
  memory_key = register_module("memory_key", torch::nn::Linear(d, d));
  memory_value = register_module("memory_value", torch::nn::Linear(d, d));
  memory_output = register_module("memory_output", torch::nn::Linear(d, d));
  location = register_module("location", torch::nn::Linear(n, 1));
  spread = register_module("spread", torch::nn::Linear(n, 1));
}

torch::Tensor InfinityFormerImpl::forward(const torch::Tensor& x,
                                          const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const int64_t batch = x.size(0), length = x.size(1), heads = options.heads();
  const int64_t bins = std::max(options.samples(), options.basis());
  const auto real = key_padding_mask.defined()
                        ? key_padding_mask.logical_not()
                        : at::ones({batch, length}, x.options().dtype(at::kBool));
  LongTermMemory memory(options, basis);
  std::vector<at::Tensor> outputs;
  for (int64_t start = 0; start < length; start += options.segment()) {
    const int64_t count = std::min(options.segment(), length - start);
    const auto rows = x.narrow(1, start, count);
    const auto real_rows = real.narrow(1, start, count);
    // A segment of nothing but padding: its outputs are never read, and it adds nothing.
    if (key_padding_mask.defined() && !real_rows.any().item<bool>()) {
      outputs.push_back(at::zeros_like(rows));
      continue;
    }
    const QkvHeads qkv = Split(rows);
    at::Tensor mask_rows;
    if (key_padding_mask.defined()) {
      // A sequence that has ended before this segment would have every key masked, and its
      // softmax NaN (which reaches the gradients through 0 * NaN): it attends to its padding
      // instead, in rows nothing reads.
      const auto ended = real_rows.any(1, true).logical_not();
      mask_rows = key_padding_mask.narrow(1, start, count).logical_and(ended.logical_not());
    }
    auto output =
        Merge(ExactAttention(qkv.q, qkv.k, qkv.v, mask_rows, 0.0, is_training(), options.causal()));
    at::Tensor histogram;
    if (!memory.empty()) {
      // Continuous attention over the memory: keys and values from its coefficients (N rows,
      // whatever the past's length); per query a Gaussian over [0, 1] from its scores.
      const auto coefficients = memory.coefficients();
      const auto keys = SplitHeads(memory_key(coefficients), heads);
      const auto values = SplitHeads(memory_value(coefficients), heads);
      const auto scores = at::matmul(qkv.q, keys.transpose(-2, -1));  // (B, H, S, N), q scaled
      const auto mu = at::sigmoid(location(scores));
      const auto variance = at::softplus(spread(scores)).clamp_min(kMinVariance);
      const auto context = at::matmul(ExpectedBasis(basis, mu, variance), values);
      const auto holds = memory.holds().to(context.scalar_type()).view({batch, 1, 1});
      output = output + memory_output(MergeHeads(context)) * holds;
      if (options.sticky()) {
        histogram = AttentionHistogram(mu.detach(), variance.detach(), real_rows, bins);
      }
    }
    if (start + count < length) memory.Update(rows, real_rows, histogram);
    outputs.push_back(output);
  }
  return at::cat(outputs, 1);
}

std::optional<AttentionImpl::OwnError> InfinityFormerImpl::ApproximationError(
    const torch::Tensor& x, const torch::Tensor& key_padding_mask) const {
  return OwnError{"recon_error", MemoryReconstructionError(options, x, key_padding_mask)};
}

double MemoryReconstructionError(const InfinityFormerOptions& options, const at::Tensor& x,
                                 const at::Tensor& key_padding_mask) {
  at::NoGradGuard no_grad;
  const int64_t batch = x.size(0), length = x.size(1);
  const auto real = key_padding_mask.defined()
                        ? key_padding_mask.logical_not()
                        : at::ones({batch, length}, x.options().dtype(at::kBool));
  // Sticky memories follow attention, which reading states alone does not pay: sampled evenly.
  LongTermMemory memory(options, MakeRbfBasis(options.basis(), options.widths()));
  at::Tensor positions = at::empty({batch, 0}, x.options().dtype(at::kDouble));
  for (int64_t start = 0; start < length; start += options.segment()) {
    const int64_t count = std::min(options.segment(), length - start);
    const auto real_rows = real.narrow(1, start, count);
    const auto held = memory.empty() ? at::zeros({batch}, real.options()) : memory.holds();
    // The states held so far move with the contraction when this segment adds any.
    const auto contracted = held.logical_and(real_rows.any(1)).view({batch, 1});
    positions = at::where(contracted, positions * options.tau(), positions);
    positions = at::cat({positions, NewStatePositions(real_rows, held, options.tau())}, 1);
    memory.Update(x.narrow(1, start, count), real_rows, {});
  }
  const auto weights = real.to(x.scalar_type()).unsqueeze(-1);
  const auto error = (memory.Evaluate(positions.clamp(0, 1)) - x) * weights;
  return (error.norm() / (x * weights).norm()).item<double>();
}

LayerBuilder InfinityLayerBuilder() {
  return [](const nlohmann::json& model, int64_t) {
    const auto& infinity = model.at("infinity");
    return std::make_shared<InfinityFormerImpl>(
        InfinityFormerOptions(model.at("d_model").get<int64_t>(), model.at("heads").get<int64_t>())
            .segment(infinity.at("segment").get<int64_t>())
            .basis(infinity.at("basis").get<int64_t>())
            .widths(infinity.at("widths").get<std::vector<double>>())
            .ridge(infinity.at("ridge").get<double>())
            .samples(infinity.at("samples").get<int64_t>())
            .tau(infinity.at("tau").get<double>())
            .sticky(infinity.at("sticky").get<bool>())
            .detach(infinity.at("detach").get<bool>())
            .causal(IsCausal(model)));
  };
}

}  // namespace attnsweep
