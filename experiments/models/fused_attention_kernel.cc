#include "experiments/models/fused_attention_kernel.h"

#include "experiments/models/fused_attention_isa.h"

#include <algorithm>
#include <cstring>

namespace attnsweep {

bool CpuRunsIsa(const char* isa) {
  if (std::strcmp(isa, "baseline") == 0) return true;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx512") == 0) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq");
  }
  if (std::strcmp(isa, "avx2") == 0) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
#endif
  return false;
}

namespace {

struct Kernels {
  const char* isa;
  decltype(&baseline::Forward) forward;
  decltype(&baseline::Backward) backward;
  decltype(&baseline::SoftmaxRows) softmax_rows;
  decltype(&baseline::SoftmaxRowsBackward) softmax_rows_backward;
};

#define ATTNSWEEP_KERNELS_OF(isa) \
  Kernels { #isa, isa::Forward, isa::Backward, isa::SoftmaxRows, isa::SoftmaxRowsBackward }

// The build for the best instruction set this CPU has, chosen once.
const Kernels& Best() {
  static const Kernels best = [] {
    if (CpuRunsIsa("avx512")) return ATTNSWEEP_KERNELS_OF(avx512);
    if (CpuRunsIsa("avx2")) return ATTNSWEEP_KERNELS_OF(avx2);
    return ATTNSWEEP_KERNELS_OF(baseline);
  }();
  return best;
}

#undef ATTNSWEEP_KERNELS_OF

}  // namespace

void FusedAttentionForward(const HeadInputs& head, int64_t key_block, float* out, float* lse) {
  Best().forward(head, key_block, out, lse);
}

void FusedAttentionBackward(const HeadInputs& head, int64_t key_block, const float* out,
                            const float* lse, const float* grad_out, float* grad_q, float* grad_k,
                            float* grad_v) {
  Best().backward(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
}

void SoftmaxRowsInPlace(float* scores, int64_t rows, int64_t cols, const uint8_t* key_padded) {
  Best().softmax_rows(scores, rows, cols, key_padded);
}

void SoftmaxRowsBackward(const float* weights, const float* grad_weights, int64_t rows,
                         int64_t cols, float* grad_scores) {
  Best().softmax_rows_backward(weights, grad_weights, rows, cols, grad_scores);
}

const char* FusedAttentionIsa() { return Best().isa; }

void TransposeKeysInBlocks(const float* x, int64_t rows, int64_t cols, int64_t block, float* xt) {
  for (int64_t start = 0; start < rows; start += block) {
    const int64_t count = std::min(block, rows - start);
    const float* in = x + start * cols;
    float* out = xt + start * cols;
    // Written in order, read across: stores a cache line apart each cost more than loads.
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t r = 0; r < count; ++r) out[c * count + r] = in[r * cols + c];
    }
  }
}

}  // namespace attnsweep
