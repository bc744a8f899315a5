// What every attention variant is: a module that maps hidden states (B, L, d_model) and a key
// padding mask to new hidden states (B, L, d_model). The encoder holds one per layer and never
// knows which.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace attnsweep {

class AttentionImpl : public torch::nn::Module {
 public:
  // x: (B, L, d_model). key_padding_mask: undefined (no padding), or (B, L) bool with true at
  // padded positions. Outputs at real positions never depend on what padded positions hold.
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) = 0;
};

// Checks the shapes every variant expects; throws c10::Error naming what is wrong.
void CheckAttentionInput(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                         int64_t d_model);

}  // namespace attnsweep
