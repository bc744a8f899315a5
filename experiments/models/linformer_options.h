// LinformerAttentionOptions: what the registry's description (builtin_variants.cc, its defaults)
// and the layer both read; free of LibTorch's tensors (TORCH_ARG is a macro of its own header).
#pragma once

#include <cstdint>
#include <string>

#include <torch/arg.h>

namespace attnsweep {

struct LinformerAttentionOptions {
  LinformerAttentionOptions(int64_t d_model, int64_t heads, int64_t max_len)
      : d_model_(d_model), heads_(heads), max_len_(max_len) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // The longest input; E and F have this many columns.
  TORCH_ARG(int64_t, max_len);
  // Projected length.
  TORCH_ARG(int64_t, k) = 256;
  // none: E and F for each head; headwise: one E and one F for all heads; kv: one matrix for keys
  // and values, all heads; layerwise: as kv, and one matrix for all layers (the encoder shares it).
  TORCH_ARG(std::string, sharing) = "kv";
};

}  // namespace attnsweep
