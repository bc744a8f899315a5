#include "experiments/models/linformer_attention.h"
#include "experiments/job_contract.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "experiments/models/chunked_attention.h"

namespace attnsweep {

LinformerAttentionImpl::LinformerAttentionImpl(const LinformerAttentionOptions& options_)
    : options(options_) {
  reset();
}

void LinformerAttentionImpl::reset() {
  const std::string& sharing = options.sharing();
  TORCH_CHECK(
      sharing == "none" || sharing == "headwise" || sharing == "kv" || sharing == "layerwise",
      "unknown Linformer sharing '", sharing, "' (none, headwise, kv, layerwise)");
  TORCH_CHECK(options.k() > 0 && options.max_len() > 0, "Linformer k and max_len must be positive");
  Register(*this, options.d_model(), options.heads());
  const std::vector<int64_t> shape =
      sharing == "none" ? std::vector<int64_t>{options.heads(), options.k(), options.max_len()}
                        : std::vector<int64_t>{options.k(), options.max_len()};
  // As the authors' code (fairseq) does: Xavier-uniform over (k, max_len) with gain 1/sqrt(2),
  // variance 1 / (max_len + k), so a projected row has about the scale of one key or value (a
  // N(0, 1/k) draw makes them sqrt(max_len / k) times larger).
  auto init = [&](const char* name) {
    auto weight = torch::empty(shape);
    const double bound = std::sqrt(6.0 / static_cast<double>(options.max_len() + options.k())) /
                         std::sqrt(2.0) / projection_scale();
    torch::nn::init::uniform_(weight, -bound, bound);
    return register_parameter(name, weight);
  };
  key_projection = init("key_projection");
  value_projection =
      sharing == "none" || sharing == "headwise" ? init("value_projection") : key_projection;
}

double LinformerAttentionImpl::projection_scale() const {
  return 1.0 / std::sqrt(static_cast<double>(options.max_len()));
}

void LinformerAttentionImpl::ShareProjectionWith(const LinformerAttentionImpl& other) {
  TORCH_CHECK(options.sharing() == "layerwise" && other.options.sharing() == "layerwise",
              "only layerwise Linformer layers share their projection");
  // The same tensor, not a copy: one parameter for every layer, trained once.
  key_projection = other.key_projection;
  value_projection = key_projection;
  parameters_["key_projection"] = key_projection;
}

void LinformerAttentionImpl::ShareWithFirstLayer(AttentionImpl& first) {
  if (options.sharing() != "layerwise") return;
  const auto* first_linformer = dynamic_cast<const LinformerAttentionImpl*>(&first);
  TORCH_CHECK(first_linformer != nullptr, "a layerwise Linformer layer shares with Linformer only");
  ShareProjectionWith(*first_linformer);
}

namespace {
// (B, H, L, Dh) projected along L by (k, max_len) or (H, k, max_len), first L columns, to (B, H, k,
// Dh). Written as single large GEMMs: a broadcast matmul of E against (B, H, L, Dh) would first
// copy E once per batch and head.
torch::Tensor ProjectAlongSequence(const torch::Tensor& x, const torch::Tensor& projection,
                                   double scale) {
  const int64_t batch = x.size(0), heads = x.size(1), length = x.size(2), head_dim = x.size(3);
  const auto used = projection.narrow(projection.dim() - 1, 0, length) * scale;
  if (projection.dim() == 2) {
    // (B, H, Dh, L) @ (L, k): batch, heads and Dh fold into the GEMM's rows.
    return at::matmul(x.transpose(-2, -1), used.t()).transpose(-2, -1);
  }
  // A projection per head: (H, k, L) @ (H, L, B Dh), one batched GEMM.
  const auto per_head = x.permute({1, 2, 0, 3}).reshape({heads, length, batch * head_dim});
  return at::bmm(used, per_head).view({heads, used.size(1), batch, head_dim}).permute({2, 0, 1, 3});
}
}  // namespace

torch::Tensor LinformerAttentionImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  TORCH_CHECK(x.size(1) <= options.max_len(), "Linformer: input length ", x.size(1),
              " exceeds its max_len ", options.max_len());
  QkvHeads heads = Split(x);
  if (key_padding_mask.defined()) {
    const auto keep =
        key_padding_mask.logical_not().view({x.size(0), 1, x.size(1), 1}).to(x.dtype());
    heads.k = heads.k * keep;
    heads.v = heads.v * keep;
  }
  const auto keys = ProjectAlongSequence(heads.k, key_projection, projection_scale());
  const auto values = ProjectAlongSequence(heads.v, value_projection, projection_scale());
  // Every projected key is real: no mask past the projection. The fused kernel keeps no L x k
  // matrix of weights.
  return Merge(FastExactAttention(heads.q, keys, values, /*key_padding_mask=*/{}));
}

LayerBuilder LinformerLayerBuilder() {
  return [](const nlohmann::json& model, int64_t max_len) {
    const auto& linformer = model.at("linformer");
    int64_t projection_length = linformer.at("max_len").get<int64_t>();
    if (projection_length == 0) projection_length = max_len;
    if (max_len > projection_length) {
      throw InvalidJobConfig("Linformer: inputs of length " + std::to_string(max_len) +
                             " exceed model.linformer.max_len " +
                             std::to_string(projection_length));
    }
    return std::make_shared<LinformerAttentionImpl>(
        LinformerAttentionOptions(model.at("d_model").get<int64_t>(),
                                  model.at("heads").get<int64_t>(), projection_length)
            .k(linformer.at("k").get<int64_t>())
            .sharing(linformer.at("sharing").get<std::string>()));
  };
}

}  // namespace attnsweep
