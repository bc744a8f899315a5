// ChunkedAttentionOptions: what the registry's description (builtin_variants.cc, its defaults) and
// the layer both read; free of LibTorch's tensors (TORCH_ARG is a macro of its own header).
#pragma once

#include <cstdint>

#include <torch/arg.h>

namespace attnsweep {

struct ChunkedAttentionOptions {
  ChunkedAttentionOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Keys per tile: each query's scores against them are held at once.
  TORCH_ARG(int64_t, block) = 256;
  // Each position attends to itself and the positions before it only; blocks of keys wholly
  // after a block's queries are skipped.
  TORCH_ARG(bool, causal) = false;
};

}  // namespace attnsweep
