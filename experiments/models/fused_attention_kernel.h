// Exact softmax attention's CPU kernels. The fused one, for one head: tiles of queries and keys
// that stay in cache, an online softmax (running max and sum) with a vectorised exp, and no L x L
// matrix, in the forward pass or the backward (which recomputes each tile's weights from the saved
// row log-sum-exp, as FlashAttention does on GPUs). Plain float arrays, no LibTorch: the autograd
// function around it is in chunked_attention.cc.
//
// Built for each instruction set (AVX-512, AVX2+FMA, baseline x86-64) and chosen at run time by
// what the CPU has, so one binary is fast on every machine it runs on.
#pragma once

#include <cstdint>

#include "experiments/models/fused_attention_head.h"

namespace attnsweep {

// out (Lq x D) = softmax(q k^T) v; lse (Lq) = each row's log-sum-exp of scores, which the
// backward needs (+inf for a row whose keys are all padding: its output is 0). `key_block` keys
// per tile.
void FusedAttentionForward(const HeadInputs& head, int64_t key_block, float* out, float* lse);

// Gradients of the forward's output: grad_out (Lq x D) in, out and lse from the forward;
// grad_q (Lq x D), grad_k and grad_v (Lk x D) are written (not accumulated).
void FusedAttentionBackward(const HeadInputs& head, int64_t key_block, const float* out,
                            const float* lse, const float* grad_out, float* grad_q, float* grad_k,
                            float* grad_v);

// The softmax of plain exact attention, which keeps its L x L matrix: in place over `rows` rows of
// `cols` scores, with the keys flagged in key_padded (cols flags, or null) given weight 0 (a row of
// padding only becomes 0s), in one pass over memory, where masking, softmax and a copy took three.
void SoftmaxRowsInPlace(float* scores, int64_t rows, int64_t cols, const uint8_t* key_padded);
// Its backward: grad_scores = weights * (grad_weights - rowsum(grad_weights * weights)).
void SoftmaxRowsBackward(const float* weights, const float* grad_weights, int64_t rows,
                         int64_t cols, float* grad_scores);

// The instruction set the kernels run with on this CPU: "avx512", "avx2" or "baseline".
const char* FusedAttentionIsa();

}  // namespace attnsweep
