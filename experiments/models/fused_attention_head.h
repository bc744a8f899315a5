// What the exact attention kernels take for one head: shared by the dispatcher
// (fused_attention_kernel.h) and the builds for each instruction set (fused_attention_isa.h).
#pragma once

#include <cstdint>

namespace attnsweep {

// One head: q (Lq x D, already scaled), k and v (Lk x D), rows contiguous. key_padded: Lk flags
// (nonzero: that key is padding and gets no weight), or null for none. causal: query row i, which
// is row query_offset + i of the whole sequence, sees keys 0 .. query_offset + i only; tiles of
// keys wholly above the diagonal are skipped, not masked.
struct HeadInputs {
  const float* q;
  const float* k;
  const float* v;
  const uint8_t* key_padded;
  int64_t query_length;
  int64_t key_length;
  int64_t head_dim;
  bool causal = false;
  int64_t query_offset = 0;
};

}  // namespace attnsweep
