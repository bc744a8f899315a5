// What every attention variant is: a module that maps hidden states (B, L, d_model) and a key
// padding mask to new hidden states (B, L, d_model). The encoder holds one per layer and never
// knows which.
#pragma once

#include <optional>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace attnsweep {

class AttentionImpl : public torch::nn::Module {
 public:
  // x: (B, L, d_model). key_padding_mask: undefined (no padding), or (B, L) bool with true at
  // padded positions. Outputs at real positions never depend on what padded positions hold.
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) = 0;

  // Called, once the encoder is built, on each layer's attention after the first with the first
  // layer's: a variant that shares weights across layers (Linformer's layerwise sharing) takes them
  // from `first`. Layers share nothing by default.
  virtual void ShareWithFirstLayer(AttentionImpl& first) {}

  // What the approximation task measures of this layer on inputs x (and the mask): by default
  // nothing of its own (nullopt), and the task compares its output with exact softmax attention's
  // through the same projections. A variant that approximates something else names its own
  // figure: the ∞-former's memory is judged by how well it reconstructs its input.
  struct OwnError {
    std::string metric;
    double value;
  };
  virtual std::optional<OwnError> ApproximationError(const torch::Tensor& x,
                                                     const torch::Tensor& key_padding_mask) const {
    return std::nullopt;
  }
};

// Checks the shapes every variant expects; throws c10::Error naming what is wrong.
void CheckAttentionInput(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                         int64_t d_model);

}  // namespace attnsweep
