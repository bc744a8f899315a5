// Exact softmax attention computed block by block with a running max and sum (online softmax), so
// the L x L score matrix never exists: forward memory grows with L, not L^2. Backward is a custom
// autograd function that recomputes each block from the saved row log-sum-exp instead of keeping
// the scores, so training memory also grows with L. The result equals softmax attention up to
// rounding.
#pragma once

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

struct ChunkedAttentionOptions {
  ChunkedAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Queries and keys per block: the scores held at once are B x H x block x block.
  TORCH_ARG(int64_t, block) = 256;
};

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
torch::Tensor ChunkedExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, const torch::Tensor& key_padding_mask,
                                    int64_t block);

// The registry entry of exact softmax attention in blocks (online softmax): its keys, cost and
// factory (builtins.cc lists it).
VariantDefinition ChunkedSoftmaxVariant();

}  // namespace attnsweep
