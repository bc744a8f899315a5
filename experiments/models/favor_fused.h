// Bidirectional FAVOR+ (Performer's positive or hyperbolic random features) over whole sequences
// as one differentiable function, for training on the CPU.
// Why: the streamed FAVOR+ of performer_attention.cc is a chain of ATen operations whose products
// are batched matrix products over (batch x heads) small matrices; LibTorch 1.13's CPU bmm runs
// those one after another on one thread, so a second thread bought a Performer layer 9-16 % where
// PyTorch 2.6's FastAttention gained 35-48 % (BENCHMARKS.md). Here each (batch, head) is one task
// of a parallel loop: its features, phi(K)^T [V | 1] and phi(Q) times that, and in the backward
// the six products of the chain rule, with the element-wise steps written as loops over the rows.
// The stabilisers (each query row's max, the largest real key exponent of a head) are constants
// of the backward, as in the streamed form: they cancel in D^-1.
#pragma once

#include <torch/types.h>

namespace attnsweep {

// q (B, H, Lq, Dh), k and v (B, H, Lk, Dh), all unscaled (the d^-1/4 normaliser is applied here);
// directions (M, Dh); `hyperbolic`: features exp(+w.x) and exp(-w.x) (2M of them) instead of
// exp(w.x); key_padding_mask (B, Lk), true at padding, or undefined. Returns (B, H, Lq, Dh),
// differentiable in q, k and v. Float32 CPU tensors (FusedFavorTakes).
torch::Tensor FusedFavor(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& directions, bool hyperbolic,
                         const torch::Tensor& key_padding_mask);

// Whether FusedFavor runs on x: float32 on the CPU.
bool FusedFavorTakes(const torch::Tensor& x);

}  // namespace attnsweep
