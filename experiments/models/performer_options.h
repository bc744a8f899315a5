// PerformerAttentionOptions: what the registry's description (builtin_variants.cc, its defaults)
// and the layer both read; free of LibTorch's tensors (TORCH_ARG is a macro of its own header).
#pragma once

#include <cstdint>
#include <string>

#include <torch/arg.h>

namespace attnsweep {

struct PerformerAttentionOptions {
  PerformerAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Random features M; 0: ceil(d_head ln d_head).
  TORCH_ARG(int64_t, features) = 0;
  // positive: exp(w.x - |x|^2/2)/sqrt(M); hyperbolic: [exp(w.x), exp(-w.x)] exp(-|x|^2/2)/sqrt(2M);
  // trig: [cos w.x, sin w.x] exp(|x|^2/2)/sqrt(M).
  TORCH_ARG(std::string, kernel) = "positive";
  // orthogonal: blocks of the Q of QR of Gaussian d x d matrices; hadamard, givens: structured
  // orthogonal blocks (structured_features.h), cheaper to draw; iid: Gaussian rows.
  TORCH_ARG(std::string, sampling) = "orthogonal";
  // chi: orthogonal rows rescaled to chi(d)-distributed norms (as Gaussian rows have); sqrt_d: all
  // rows of norm sqrt(d).
  TORCH_ARG(std::string, scaling) = "chi";
  // Redraw the features every `redraw` training forward passes; 0: never. Never in evaluation.
  TORCH_ARG(int64_t, redraw) = 0;
  // Causal FAVOR+ by prefix sums: each position attends to itself and the positions before it.
  TORCH_ARG(bool, causal) = false;
};

}  // namespace attnsweep
