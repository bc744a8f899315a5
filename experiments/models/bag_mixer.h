// The `bag` baseline, behind the attention interface: it mixes nothing. The encoder around it
// still adds each event's position, normalises and applies its feed-forward network, and the
// classifier pools over the window, so the model is a bag of (contextless) event embeddings: what
// any sequence model must beat for its mixing to have bought anything.
#pragma once

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/registry.h"

namespace attnsweep {

struct BagMixerOptions {
  explicit BagMixerOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
};

class BagMixerImpl : public AttentionImpl {
 public:
  explicit BagMixerImpl(const BagMixerOptions& options) : options(options) {}
  // Zeros: the residual connection passes each event through alone.
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;

  BagMixerOptions options;
};

TORCH_MODULE(BagMixer);

// How the registry builds the bag-of-events baseline (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder BagLayerBuilder();

}  // namespace attnsweep
