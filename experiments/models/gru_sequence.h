// A one-layer, one-direction GRU over a whole sequence as one differentiable function, with
// torch::nn::GRU's equations and weights (gates r, z, n in that order):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
//   n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h, from h = 0.
// Why: LibTorch's GRU records each step's half-dozen operations for autograd, and at training
// shapes (32 sequences, d_model 64) that bookkeeping, not arithmetic, was most of a step's time.
// Here the inputs' projections are one matrix product for all steps, each step is one small
// product and one loop over the gates, and the backward walks the steps back the same way, with
// the weights' gradients again one product each.
#pragma once

#include <torch/types.h>

namespace attnsweep {

// x (B, L, D) -> every step's hidden state (B, L, H); w_ih (3H, D), w_hh (3H, H), b_ih and b_hh
// (3H). Float32 CPU tensors (GruSequenceTakes); differentiable in all five.
torch::Tensor GruSequence(const torch::Tensor& x, const torch::Tensor& w_ih,
                          const torch::Tensor& w_hh, const torch::Tensor& b_ih,
                          const torch::Tensor& b_hh);

// Whether GruSequence runs on x: float32 on the CPU (elsewhere torch::nn::GRU's own kernels do).
bool GruSequenceTakes(const torch::Tensor& x);

}  // namespace attnsweep
