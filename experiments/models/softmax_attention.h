// Exact multi-head scaled dot-product attention (Vaswani et al. 2017): the reference every
// efficient variant is measured against. Forms the full L x L score matrix, so its memory grows as
// L^2.
#pragma once

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

struct SoftmaxAttentionOptions {
  SoftmaxAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  // Width of the input and output; a multiple of heads.
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Dropout on the attention weights, in training mode only.
  TORCH_ARG(double, dropout) = 0.0;
  // Each position attends to itself and the positions before it only.
  TORCH_ARG(bool, causal) = false;
};

class SoftmaxAttentionImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit SoftmaxAttentionImpl(const SoftmaxAttentionOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;

  SoftmaxAttentionOptions options;
};

TORCH_MODULE(SoftmaxAttention);

// softmax(q k^T + mask) v for q already scaled, on (B, H, L, Dh) tensors: the exact reference.
// causal: query i sees keys 0..i only.
torch::Tensor ExactAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& key_padding_mask, double dropout, bool training,
                             bool causal = false);

// How the registry builds exact softmax attention (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder SoftmaxLayerBuilder();

}  // namespace attnsweep
