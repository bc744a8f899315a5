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
  // k as TransposeKeysInBlocks made it for the same key_block, or null: the forward then makes it
  // itself. A caller that splits a head's queries over several calls gives it, made once: made
  // per call of 512 queries it took 16 % of the forward's time at L 4096 (d_head 64).
  const float* keys_transposed = nullptr;
};

// x (rows x cols) transposed block by block: each block of `block` rows becomes a (cols x block)
// matrix, the blocks one after another (the last may be shorter). A tile's keys are then
// contiguous: rows `block` floats apart, where a whole transposed K put them L floats apart, a
// stride (16 KB at L 4096) that sent every row of a tile to the same cache set.
void TransposeKeysInBlocks(const float* x, int64_t rows, int64_t cols, int64_t block, float* xt);

}  // namespace attnsweep
