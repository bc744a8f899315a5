#include "experiments/models/performer_attention.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include "experiments/device/autocast_scope.h"
#include "experiments/models/attention_factory.h"
#include "experiments/models/favor_fused.h"
#include "experiments/models/structured_features.h"

namespace attnsweep {

torch::Tensor DrawRandomFeatures(int64_t m, int64_t d, const std::string& sampling,
                                 const std::string& scaling, at::Generator generator) {
  TORCH_CHECK(m > 0 && d > 0, "features and d_head must be positive");
  if (sampling == "iid") return at::randn({m, d}, generator, at::TensorOptions(at::kFloat));
  TORCH_CHECK(sampling == "orthogonal" || sampling == "hadamard" || sampling == "givens",
              "unknown Performer sampling '", sampling, "'");
  std::vector<at::Tensor> blocks;
  for (int64_t rows = 0; rows < m; rows += d) {
    if (sampling == "hadamard") {
      blocks.push_back(DrawHadamardBlock(d, generator));
      continue;
    }
    if (sampling == "givens") {
      blocks.push_back(DrawGivensBlock(d, generator));
      continue;
    }
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

// Features with the exponent shifted by a max, so nothing overflows: per query row (queries), or
// per (batch, head) over the chunk's real keys (keys). `shift` is that max (B, H, 1, 1) for keys,
// -inf where the chunk holds no real key (its features are then all zero). Detached.
struct ShiftedFeatures {
  at::Tensor phi;
  at::Tensor shift;
};

ShiftedFeatures StableFeatures(const at::Tensor& x, const at::Tensor& w, const std::string& kernel,
                               bool is_query,
                               const at::Tensor& keep /* (B, 1, L, 1) or undefined */) {
  const auto parts = Parts(x, w);
  const double scale = Scale(kernel, w.size(0));
  const double neg_inf = -std::numeric_limits<double>::infinity();
  at::Tensor key_shift;
  auto stabiliser = [&](const at::Tensor& exponent) {
    at::Tensor source = exponent.detach();
    if (is_query) return std::get<0>(source.max(-1, true));
    if (keep.defined()) source = source.masked_fill(keep.logical_not(), neg_inf);
    key_shift = std::get<0>(source.flatten(-2).max(-1, true)).unsqueeze(-1);
    return at::where(at::isinf(key_shift), at::zeros_like(key_shift), key_shift);
  };
  // Without autograd (inference, the forward benchmark) the steps run in place on one chunk.
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
  return {features, key_shift};
}

// Rows per chunk: a chunk's features, (B, H, rows, M'), stay near 2 MiB, small enough for the
// cache and far below glibc's 32 MiB mmap threshold, so a long sequence costs no fresh page faults.
int64_t DefaultChunkRows(int64_t batch_heads, int64_t feature_width) {
  constexpr int64_t kChunkBytes = int64_t{2} << 20;
  return std::max<int64_t>(64, kChunkBytes / (batch_heads * feature_width * 4));
}

// Where FAVOR+ reads its inputs and puts its output, a chunk of rows at a time.
struct FavorStream {
  int64_t batch = 0, heads = 0, head_dim = 0, query_length = 0, key_length = 0;
  at::ScalarType output_type = at::kFloat;
  // (start, count) -> q rows (B, H, count, Dh), unscaled.
  std::function<at::Tensor(int64_t, int64_t)> queries;
  // (start, count) -> k and v rows, each (B, H, count, Dh).
  std::function<std::pair<at::Tensor, at::Tensor>(int64_t, int64_t)> keys_values;
  // A chunk's context (B, H, count, Dh) -> the chunk's output, concatenated along output_dim.
  std::function<at::Tensor(const at::Tensor&)> finish;
  int64_t output_dim = 2;
};

// The key side of FAVOR+ over a stream, a chunk at a time: phi(K)^T V (B, H, M', Dh) and
// phi(K)^T 1 (B, H, M', 1) of the chunks taken in so far, kept relative to the largest key shift
// seen and rescaled when a chunk raises it (the shift cancels in D^-1, so the result is that of one
// max over the whole sequence); and what both streams make features with: the d^-1/4 normaliser,
// the directions and the padding's mask. Features are fp32 whatever the model's dtype (fp16/bf16
// exponentials overflow or lose the stabiliser's cancellation): the directions too, and autocast
// (bf16 training on a GPU) must be off (AutocastSuspended) from a chunk's q, k, v to its context,
// or the products of the features would run in bf16; the stream's own projections keep it.
class KeyState {
 public:
  KeyState(const FavorStream& stream, const at::Tensor& directions, std::string kernel,
           const at::Tensor& key_padding_mask)
      : normaliser_(std::pow(static_cast<double>(stream.head_dim), -0.25)),
        w_(directions.to(at::kFloat)),
        kernel_(std::move(kernel)),
        feature_width_(kernel_ == "positive" ? w_.size(0) : 2 * w_.size(0)) {
    if (key_padding_mask.defined()) {
      keep_ = key_padding_mask.logical_not()
                  .view({stream.batch, 1, stream.key_length, 1})
                  .to(at::kFloat);
    }
    const auto fp32 = w_.options().dtype(at::kFloat);
    kv_ = at::zeros({stream.batch, stream.heads, feature_width_, stream.head_dim}, fp32);
    key_sum_ = at::zeros({stream.batch, stream.heads, feature_width_, 1}, fp32);
    shift_ = at::full({stream.batch, stream.heads, 1, 1}, -std::numeric_limits<double>::infinity(),
                      fp32);
  }

  // A chunk of keys (B, H, count, Dh), unscaled, its first row `start`: its features on the scale
  // of the new running shift, to which what is held is rescaled.
  at::Tensor Rescale(const at::Tensor& k, int64_t start) {
    at::Tensor keys = k.to(at::kFloat) * normaliser_, keep_chunk;
    if (keep_.defined()) {
      // Padded keys are zeroed before their features too: what they hold (inf, huge) must not
      // turn into inf * 0 = NaN.
      keep_chunk = keep_.narrow(2, start, k.size(2));
      keys = keys * keep_chunk;
    }
    const auto chunk = StableFeatures(keys, w_, kernel_, false, keep_chunk);
    const auto merged = at::maximum(shift_, chunk.shift);
    const auto reference = at::where(at::isinf(merged), at::zeros_like(merged), merged);
    // exp(-inf - finite) = 0: an empty accumulator or an all-padding chunk contributes nothing.
    const auto old_factor = at::exp(shift_ - reference);
    kv_ = kv_ * old_factor;
    key_sum_ = key_sum_ * old_factor;
    shift_ = merged;
    return chunk.phi * at::exp(chunk.shift - reference);
  }

  // Takes a chunk in: its features from Rescale, its values (B, H, count, Dh) in fp32.
  void Add(const at::Tensor& phi, const at::Tensor& values) {
    kv_ = kv_ + at::matmul(phi.transpose(-2, -1), values);
    key_sum_ = key_sum_ + phi.sum(-2).unsqueeze(-1);
  }

  // phi(q) for unscaled queries (B, H, count, Dh), each row with its own stabiliser.
  at::Tensor QueryFeatures(const at::Tensor& q) const {
    return StableFeatures(q.to(at::kFloat) * normaliser_, w_, kernel_, true, {}).phi;
  }

  const at::Tensor& kv() const { return kv_; }
  const at::Tensor& key_sum() const { return key_sum_; }
  int64_t feature_width() const { return feature_width_; }
  at::TensorOptions options() const { return kv_.options(); }

 private:
  double normaliser_;
  at::Tensor w_;
  std::string kernel_;
  int64_t feature_width_;
  at::Tensor keep_;
  at::Tensor kv_, key_sum_, shift_;
};

at::Tensor StreamFavor(const FavorStream& stream, const at::Tensor& directions,
                       const std::string& kernel, const at::Tensor& key_padding_mask,
                       int64_t chunk_rows) {
  KeyState keys(stream, directions, kernel, key_padding_mask);
  const int64_t rows = chunk_rows > 0
                           ? chunk_rows
                           : DefaultChunkRows(stream.batch * stream.heads, keys.feature_width());
  for (int64_t start = 0; start < stream.key_length; start += rows) {
    const int64_t count = std::min(rows, stream.key_length - start);
    const auto [k, v] = stream.keys_values(start, count);
    const AutocastSuspended fp32_features;
    keys.Add(keys.Rescale(k, start), v.to(at::kFloat));
  }

  // Queries, a chunk at a time: each row's stabiliser is its own, so chunks are independent.
  std::vector<at::Tensor> outputs;
  for (int64_t start = 0; start < stream.query_length; start += rows) {
    const int64_t count = std::min(rows, stream.query_length - start);
    const at::Tensor q = stream.queries(start, count);
    at::Tensor context;
    {
      const AutocastSuspended fp32_features;
      const auto phi_q = keys.QueryFeatures(q);
      context = at::matmul(phi_q, keys.kv()) / at::matmul(phi_q, keys.key_sum());
    }
    outputs.push_back(stream.finish(context.to(stream.output_type)));
  }
  return at::cat(outputs, stream.output_dim);
}

// Causal FAVOR+ by prefix sums (Choromanski et al. 2020, section 2.6): row i's output is
//   phi(q_i)^T S_i / phi(q_i)^T z_i,  S_i = sum_{j <= i} phi(k_j) v_j^T,  z_i = sum_{j <= i}
//   phi(k_j),
// computed a chunk of C rows at a time: the prefix state (S, z) of the chunks before, plus the
// chunk's own C x C products under a lower-triangular mask. Memory: the chunks' features and one
// (M', Dh) state per chunk for the backward, linear in L; never one per position. The key
// stabiliser is the running max of the chunks' maxima, the state rescaled when a chunk raises it
// (as in StreamFavor); a chunk's max includes its later keys, but as a factor common to numerator
// and denominator, so it changes a row's output by rounding only.
at::Tensor StreamCausalFavor(const FavorStream& stream, const at::Tensor& directions,
                             const std::string& kernel, const at::Tensor& key_padding_mask,
                             int64_t chunk_rows) {
  TORCH_CHECK(stream.query_length == stream.key_length,
              "causal FAVOR+ needs as many queries as keys");
  KeyState keys(stream, directions, kernel, key_padding_mask);
  // C rows per chunk: the masked C x C products cost C M' per row, the state products M' Dh.
  const int64_t rows = chunk_rows > 0 ? chunk_rows : 64;
  const auto lower = at::ones({rows, rows}, keys.options()).tril();
  std::vector<at::Tensor> outputs;
  for (int64_t start = 0; start < stream.key_length; start += rows) {
    const int64_t count = std::min(rows, stream.key_length - start);
    const auto [k, v] = stream.keys_values(start, count);
    const at::Tensor q = stream.queries(start, count);
    at::Tensor context;
    {
      const AutocastSuspended fp32_features;
      const auto phi_k = keys.Rescale(k, start);  // the state of the chunks before, rescaled
      const auto phi_q = keys.QueryFeatures(q);
      const auto values = v.to(at::kFloat);
      const auto mask = lower.narrow(0, 0, count).narrow(1, 0, count);
      const auto scores = at::matmul(phi_q, phi_k.transpose(-2, -1)) * mask;  // (B, H, C, C)
      context = (at::matmul(phi_q, keys.kv()) + at::matmul(scores, values)) /
                (at::matmul(phi_q, keys.key_sum()) + scores.sum(-1, true));
      keys.Add(phi_k, values);
    }
    outputs.push_back(stream.finish(context.to(stream.output_type)));
  }
  return at::cat(outputs, stream.output_dim);
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
                             const torch::Tensor& key_padding_mask, int64_t chunk_rows,
                             bool causal) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && k.sizes() == v.sizes() && q.size(0) == k.size(0) &&
                  q.size(1) == k.size(1) && q.size(3) == k.size(3),
              "FavorAttention expects q (B, H, Lq, Dh), k and v (B, H, Lk, Dh), got ", q.sizes(),
              ", ", k.sizes(), ", ", v.sizes());
  FavorStream stream;
  stream.batch = k.size(0);
  stream.heads = k.size(1);
  stream.head_dim = k.size(3);
  stream.query_length = q.size(2);
  stream.key_length = k.size(2);
  stream.output_type = v.scalar_type();
  stream.queries = [&](int64_t start, int64_t count) { return q.narrow(2, start, count); };
  stream.keys_values = [&](int64_t start, int64_t count) {
    return std::make_pair(k.narrow(2, start, count), v.narrow(2, start, count));
  };
  stream.finish = [](const at::Tensor& context) { return context; };
  if (causal) return StreamCausalFavor(stream, w, kernel, key_padding_mask, chunk_rows);
  return StreamFavor(stream, w, kernel, key_padding_mask, chunk_rows);
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
  draws = register_buffer("draws", at::zeros({}, at::kLong));
  training_steps = register_buffer("training_steps", at::zeros({}, at::kLong));
  DrawFeatures(0);
}

void PerformerAttentionImpl::DrawFeatures(int64_t draw) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed + draw));
  const int64_t head_dim = options.d_model() / options.heads();
  projection.copy_(DrawRandomFeatures(options.features(), head_dim, options.sampling(),
                                      options.scaling(), generator));
  draws.fill_(draw + 1);
}

torch::Tensor PerformerAttentionImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  if (is_training()) {
    if (options.redraw() > 0) {
      // Read back from the device (a synchronisation on a GPU), so only when redrawing.
      const int64_t steps = training_steps.item<int64_t>();
      if (steps > 0 && steps % options.redraw() == 0) DrawFeatures(draws.item<int64_t>());
    }
    training_steps.add_(1);
  }
  if (at::GradMode::is_enabled() && !options.causal()) {
    // Under autograd every chunk's features are kept for the backward, so streaming saves no
    // memory: q, k, v are projected whole and, on float32 CPU tensors, FAVOR+ runs as one
    // function with a task per (batch, head) (favor_fused.h).
    const auto qkv = Project(x, 0, 3);
    const bool fused = options.kernel() != "trig" && FusedFavorTakes(qkv);
    return Merge(fused ? FusedFavor(qkv[0], qkv[1], qkv[2], projection,
                                    options.kernel() == "hyperbolic", key_padding_mask)
                       : FavorAttention(qkv[0], qkv[1], qkv[2], projection, options.kernel(),
                                        key_padding_mask, /*chunk_rows=*/0, /*causal=*/false));
  }
  // Without autograd the layer streams over the sequence: each chunk of rows is projected to q,
  // k, v, its features made and its output projected, so nothing of size L exists but the input
  // and the output.
  FavorStream stream;
  stream.batch = x.size(0);
  stream.heads = options.heads();
  stream.head_dim = options.d_model() / options.heads();
  stream.query_length = stream.key_length = x.size(1);
  stream.output_type = x.scalar_type();
  // FAVOR+ applies its own d^-1/4 to q and k, so q is taken unscaled.
  stream.queries = [&](int64_t start, int64_t count) {
    return Project(x.narrow(1, start, count), 0, 1)[0];
  };
  stream.keys_values = [&](int64_t start, int64_t count) {
    const auto kv = Project(x.narrow(1, start, count), 1, 2);
    return std::make_pair(kv[0], kv[1]);
  };
  stream.finish = [&](const at::Tensor& context) { return Merge(context); };
  stream.output_dim = 1;
  if (options.causal()) {
    return StreamCausalFavor(stream, projection, options.kernel(), key_padding_mask, 0);
  }
  return StreamFavor(stream, projection, options.kernel(), key_padding_mask, /*chunk_rows=*/0);
}

LayerBuilder PerformerLayerBuilder() {
  return [](const nlohmann::json& model, int64_t) {
    const auto& performer = model.at("performer");
    return std::make_shared<PerformerAttentionImpl>(
        PerformerAttentionOptions(model.at("d_model").get<int64_t>(),
                                  model.at("heads").get<int64_t>())
            .features(performer.at("features").get<int64_t>())
            .kernel(performer.at("kernel").get<std::string>())
            .sampling(performer.at("sampling").get<std::string>())
            .scaling(performer.at("scaling").get<std::string>())
            .redraw(performer.at("redraw").get<int64_t>())
            .causal(IsCausal(model)));
  };
}

}  // namespace attnsweep
