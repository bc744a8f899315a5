#include "experiments/models/softmax_attention.h"

#include <nlohmann/json.hpp>

#include <limits>

#include <ATen/ATen.h>

namespace attnsweep {

SoftmaxAttentionImpl::SoftmaxAttentionImpl(const SoftmaxAttentionOptions& options_)
    : options(options_) {
  reset();
}

void SoftmaxAttentionImpl::reset() { Register(*this, options.d_model(), options.heads()); }

torch::Tensor ExactAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& key_padding_mask, double dropout, bool training) {
  auto scores = at::matmul(q, k.transpose(-2, -1));  // (B, H, L, L)
  if (key_padding_mask.defined()) {
    scores.masked_fill_(key_padding_mask.view({q.size(0), 1, 1, k.size(2)}),
                        -std::numeric_limits<float>::infinity());
  }
  auto weights = at::softmax(scores, -1);
  if (training && dropout > 0) weights = at::dropout(weights, dropout, true);
  return at::matmul(weights, v);  // (B, H, L, Dh)
}

torch::Tensor SoftmaxAttentionImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const QkvHeads heads = Split(x);
  return Merge(ExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.dropout(),
                              is_training()));
}

VariantDefinition SoftmaxVariant() {
  VariantDefinition variant;
  variant.name = "softmax";
  variant.help = "exact softmax attention, one L x L score matrix per head";
  // QK^T and the weighted sum of V: two L x L x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    return 4.0 * length * length * model.at("d_model").get<double>();
  };
  variant.make = [](const nlohmann::json& model, int64_t) {
    // No dropout on the attention weights: no other variant has weights to drop, the encoder's
    // dropout regularises them all alike, and drawing a mask per L x L weight took half of a
    // training epoch at max_len 256 (docs/train.md).
    return std::make_shared<SoftmaxAttentionImpl>(SoftmaxAttentionOptions(
        model.at("d_model").get<int64_t>(), model.at("heads").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
