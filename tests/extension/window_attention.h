// docs/extending.md's worked example of a new attention variant: exact softmax attention in which
// each position sees only the keys within `width` positions of itself (a local band, as in
// Longformer's sliding window). One file pair and one RegisterVariant call.
#pragma once

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

struct WindowAttentionOptions {
  WindowAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Keys at most this many positions before or after a query are attended to.
  TORCH_ARG(int64_t, width) = 16;
};

class WindowAttentionImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit WindowAttentionImpl(const WindowAttentionOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;
  WindowAttentionOptions options;
};
TORCH_MODULE(WindowAttention);

// The registry entry: the variant's name, keys, cost and factory.
VariantDefinition WindowVariant();

}  // namespace attnsweep
