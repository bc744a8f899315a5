// The GRU baseline, behind the attention interface: a unidirectional GRU over the sequence (what
// transaction-modelling practitioners use), so quality has a non-attention anchor. Being causal,
// its outputs at real positions cannot see padding appended after them.
#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/registry.h"

namespace attnsweep {

struct GruMixerOptions {
  explicit GruMixerOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
};

class GruMixerImpl : public AttentionImpl {
 public:
  explicit GruMixerImpl(const GruMixerOptions& options);
  void reset();
  // The mask is accepted for the interface; a causal GRU needs none for trailing padding.
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;

  GruMixerOptions options;
  torch::nn::GRU gru{nullptr};
};

TORCH_MODULE(GruMixer);

// How the registry builds the GRU baseline (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder GruLayerBuilder();

}  // namespace attnsweep
