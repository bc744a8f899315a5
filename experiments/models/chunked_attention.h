// Exact softmax attention computed tile by tile with a running max and sum (online softmax) by the
// fused kernel (fused_attention_kernel.h), so the L x L score matrix never exists: memory grows
// with L, not L^2, in training too (the backward recomputes each tile's weights from the saved row
// log-sum-exp), and the tiles stay in cache, which makes it the fast exact variant. The result
// equals softmax attention up to rounding. float32 on the CPU.
#pragma once

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/chunked_attention_options.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

class ChunkedAttentionImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit ChunkedAttentionImpl(const ChunkedAttentionOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;

  ChunkedAttentionOptions options;
};

TORCH_MODULE(ChunkedAttention);

// softmax(q k^T) v over blocks, for q already scaled, on (B, H, L, Dh); differentiable in q, k, v.
// causal: query i sees keys 0..i only.
torch::Tensor ChunkedExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, const torch::Tensor& key_padding_mask,
                                    int64_t block, bool causal = false);

// Exact attention by the fused kernel where it runs (float32 on the CPU), else by LibTorch's
// (scaled_dot_product_attention from 2.1, ExactAttention before):
// for the variants that end in exact attention over a few keys (Linformer's k projected ones).
torch::Tensor FastExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& key_padding_mask);

// How the registry builds exact softmax attention in blocks (online softmax) (builtin_runners.cc
// attaches it; its description is in builtin_variants.cc).
LayerBuilder ChunkedSoftmaxLayerBuilder();

}  // namespace attnsweep
