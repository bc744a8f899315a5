// Exact multi-head scaled dot-product attention (Vaswani et al. 2017): the reference every
// efficient variant is measured against. Forms the full L x L score matrix, so its memory grows as
// L^2.
#pragma once

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace attnsweep {

struct SoftmaxAttentionOptions {
  SoftmaxAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  // Width of the input and output; a multiple of heads.
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Dropout on the attention weights, in training mode only.
  TORCH_ARG(double, dropout) = 0.0;
};

class SoftmaxAttentionImpl : public torch::nn::Cloneable<SoftmaxAttentionImpl> {
 public:
  explicit SoftmaxAttentionImpl(const SoftmaxAttentionOptions& options);
  void reset() override;

  // x: (B, L, d_model). key_padding_mask: undefined, or (B, L) bool with true at padded positions,
  // which no query attends to. Returns (B, L, d_model).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  SoftmaxAttentionOptions options;
  torch::nn::Linear qkv_projection{nullptr};
  torch::nn::Linear output_projection{nullptr};
};

TORCH_MODULE(SoftmaxAttention);

}  // namespace attnsweep
