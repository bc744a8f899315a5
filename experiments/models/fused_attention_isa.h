// The kernels of each instruction set by name, for the dispatcher (fused_attention_kernel.cc) and
// for the test that checks every build this CPU can run gives the same results.
#pragma once

#include <cstdint>

#include "experiments/models/fused_attention_head.h"

namespace attnsweep {

// Each built by fused_attention_isa_<isa>.cc from fused_attention_tiles.h.
#define ATTNSWEEP_DECLARE_KERNELS(isa)                                                         \
  namespace isa {                                                                              \
  void Forward(const HeadInputs& head, int64_t key_block, float* out, float* lse);             \
  void Backward(const HeadInputs& head, int64_t key_block, const float* out, const float* lse, \
                const float* grad_out, float* grad_q, float* grad_k, float* grad_v);           \
  void SoftmaxRows(float* scores, int64_t rows, int64_t cols, const uint8_t* key_padded);      \
  void SoftmaxRowsBackward(const float* weights, const float* grad_weights, int64_t rows,      \
                           int64_t cols, float* grad_scores);                                  \
  }
ATTNSWEEP_DECLARE_KERNELS(avx512)
ATTNSWEEP_DECLARE_KERNELS(avx2)
ATTNSWEEP_DECLARE_KERNELS(baseline)
#undef ATTNSWEEP_DECLARE_KERNELS

// Whether this CPU can run the build for `isa`: "avx512", "avx2" or "baseline".
bool CpuRunsIsa(const char* isa);

}  // namespace attnsweep
