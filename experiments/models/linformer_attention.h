// Linformer (Wang et al. 2020): keys and values are projected along the sequence, from L positions
// to k, by learned E and F (k x max_len), so attention costs O(L k) time and memory. Padded keys
// and values are zeroed before projecting, so padding never enters the projection; an input shorter
// than max_len uses the first L columns of E and F; a longer one is refused.
#pragma once

#include <string>

#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/linformer_options.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

class LinformerAttentionImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit LinformerAttentionImpl(const LinformerAttentionOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;
  // layerwise sharing: use `other`'s projection instead of this layer's own.
  void ShareProjectionWith(const LinformerAttentionImpl& other);
  // Under layerwise sharing, ShareProjectionWith the first layer; otherwise nothing.
  void ShareWithFirstLayer(AttentionImpl& first) override;

  // E and F are these parameters times this: 1 / sqrt(max_len). Why: a projection's entries each
  // see a whole window of keys, and their gradients share a sign across positions (keys have a
  // common mean direction), so Adam, which steps every entry by about the learning rate whatever
  // its gradient's size, moves a projected key by about max_len times that per step; at the rates
  // the rest of the model trains well with, projected keys and values grew until attention drowned
  // the residual and Linformer ended below the bag baseline (docs/train.md). Scaled, a step moves
  // them like any d_model-wide layer's outputs; at initialisation nothing changes.
  double projection_scale() const;

  LinformerAttentionOptions options;
  // (k, max_len), or (H, k, max_len) with sharing none, in units of projection_scale(). F is E
  // under kv and layerwise sharing.
  torch::Tensor key_projection;
  torch::Tensor value_projection;
};

TORCH_MODULE(LinformerAttention);

// How the registry builds Linformer (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder LinformerLayerBuilder();

}  // namespace attnsweep
