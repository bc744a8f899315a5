// The fused attention kernels' bodies (fused_attention_kernel.h), written as plain loops over
// fixed-width lanes that the compiler vectorises for the instruction set of the file that includes
// this: fused_attention_isa_*.cc each define ATTNSWEEP_KERNEL_ISA (the namespace) and are compiled
// with their own -m flags. No #pragma once: each of them includes it once.
//
// The arithmetic is on GCC vector types of 16 floats (the compiler left to itself vectorised the
// loops, but with shuffles that made the kernel slower than unfused attention); sums and maxima
// are kept per lane and combined at the end.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "experiments/models/fused_attention_isa.h"

#ifndef ATTNSWEEP_KERNEL_ISA
#error "define ATTNSWEEP_KERNEL_ISA before including fused_attention_tiles.h"
#endif

namespace attnsweep {
namespace ATTNSWEEP_KERNEL_ISA {
namespace {

// Sixteen floats, as GCC's vector extension: one AVX-512 register, two AVX2 ones, four SSE ones;
// the compiler maps the arithmetic onto whichever the file is built for.
typedef float Vec __attribute__((vector_size(64)));
typedef int32_t IntVec __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;
constexpr int64_t kQueryTile = 32;  // query rows per tile: their scores stay in L1 with the keys'
constexpr float kInf = std::numeric_limits<float>::infinity();

inline Vec Load(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline Vec Splat(float x) { return Vec{x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
inline Vec Max(Vec a, Vec b) { return a > b ? a : b; }
inline float SumOf(Vec v) {
  float sum = 0;
  for (int64_t l = 0; l < kLanes; ++l) sum += v[l];
  return sum;
}
inline float MaxOf(Vec v) {
  float m = v[0];
  for (int64_t l = 1; l < kLanes; ++l) m = std::max(m, v[l]);
  return m;
}

// e^x for x <= 0 (a little above 0 is fine too), within 2e-7 relative; exactly 0 below e^-87 and
// for -inf or NaN. exp(x) = 2^n 2^f with n = round(x log2 e) and |f| <= 1/2; 2^f by its Taylor
// series to degree 6 (remainder below 1.3e-7); 2^n added to the exponent bits.
inline Vec Exp(Vec x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to integer
  const Vec t_raw = x * kLog2e;
  const IntVec in_range = t_raw >= -126.0f;  // false for NaN too
  const Vec t = in_range ? t_raw : Splat(-126.0f);
  const Vec n = (t + kRound) - kRound;
  const Vec f = t - n;
  Vec p = Splat(1.5403530e-4f);
  p = p * f + 1.3333558e-3f;
  p = p * f + 9.6181291e-3f;
  p = p * f + 5.5504109e-2f;
  p = p * f + 2.4022651e-1f;
  p = p * f + 6.9314718e-1f;
  p = p * f + 1.0f;
  const IntVec bits = (IntVec)p + __builtin_convertvector(n, IntVec) * (1 << 23);
  return in_range ? (Vec)bits : Splat(0.0f);
}

inline float ExpNonPositive(float x) { return Exp(Splat(x))[0]; }

// s[j] = sum_d a[d] * bt[d * stride + j] for j < n: a row of a (1 x D) times bt (D x n, rows
// `stride` apart). kD: D at compile time (0: `dim` at run time).
template <int kD>
void RowTimesColumns(const float* a, const float* bt, int64_t stride, int64_t dim, int64_t n,
                     float* s) {
  const int64_t d_count = kD > 0 ? kD : dim;
  int64_t j = 0;
  // Eight registers of sums at once: eight independent chains of multiply-adds keep both of a
  // core's FMA units busy through their four-cycle latency.
  constexpr int kRuns = 8;
  for (; j + kRuns * kLanes <= n; j += kRuns * kLanes) {
    Vec sum[kRuns] = {};
    for (int64_t d = 0; d < d_count; ++d) {
      const Vec ad = Splat(a[d]);
      const float* b = bt + d * stride + j;
      for (int r = 0; r < kRuns; ++r) sum[r] += ad * Load(b + r * kLanes);
    }
    for (int r = 0; r < kRuns; ++r) Store(s + j + r * kLanes, sum[r]);
  }
  for (; j + kLanes <= n; j += kLanes) {
    Vec sum{};
    for (int64_t d = 0; d < d_count; ++d) sum += Splat(a[d]) * Load(bt + d * stride + j);
    Store(s + j, sum);
  }
  for (; j < n; ++j) {
    float sum = 0;
    for (int64_t d = 0; d < d_count; ++d) sum += a[d] * bt[d * stride + j];
    s[j] = sum;
  }
}

// o (D) += sum_j p[j] * rows[j] (each row D wide) for j < n.
template <int kD>
void AddWeightedRows(const float* p, const float* rows, int64_t dim, int64_t n, float* o) {
  if constexpr (kD > 0 && kD % kLanes == 0) {
    constexpr int kRegisters = kD / kLanes;
    // At least four independent sums (rows j, j+1, ... go to different ones), so the adds do not
    // wait on each other: one chain ran at a quarter of the FMA units' speed.
    constexpr int kChains = kRegisters >= 4 ? 1 : 4 / kRegisters;
    Vec sum[kChains][kRegisters] = {};
    for (int r = 0; r < kRegisters; ++r) sum[0][r] = Load(o + r * kLanes);
    int64_t j = 0;
    for (; j + kChains <= n; j += kChains) {
      for (int c = 0; c < kChains; ++c) {
        const Vec pj = Splat(p[j + c]);
        const float* row = rows + (j + c) * kD;
        for (int r = 0; r < kRegisters; ++r) sum[c][r] += pj * Load(row + r * kLanes);
      }
    }
    for (; j < n; ++j) {
      const Vec pj = Splat(p[j]);
      for (int r = 0; r < kRegisters; ++r) sum[0][r] += pj * Load(rows + j * kD + r * kLanes);
    }
    for (int c = 1; c < kChains; ++c) {
      for (int r = 0; r < kRegisters; ++r) sum[0][r] += sum[c][r];
    }
    for (int r = 0; r < kRegisters; ++r) Store(o + r * kLanes, sum[0][r]);
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const float pj = p[j];
      const float* row = rows + j * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] += pj * row[d];
    }
  }
}

// rows[j] (each D wide) += p[j] * x for j < n.
template <int kD>
void AddScaledToRows(const float* p, const float* x, int64_t dim, int64_t n, float* rows) {
  if constexpr (kD > 0 && kD % kLanes == 0) {
    constexpr int kRegisters = kD / kLanes;
    Vec xs[kRegisters];
    for (int r = 0; r < kRegisters; ++r) xs[r] = Load(x + r * kLanes);
    for (int64_t j = 0; j < n; ++j) {
      const Vec pj = Splat(p[j]);
      float* row = rows + j * kD;
      for (int r = 0; r < kRegisters; ++r)
        Store(row + r * kLanes, Load(row + r * kLanes) + pj * xs[r]);
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const float pj = p[j];
      float* row = rows + j * dim;
      for (int64_t d = 0; d < dim; ++d) row[d] += pj * x[d];
    }
  }
}

// Masks padded keys: their scores become -inf.
void MaskPadded(const uint8_t* padded, int64_t n, float* s) {
  if (padded == nullptr) return;
  for (int64_t j = 0; j < n; ++j) s[j] = padded[j] ? -kInf : s[j];
}

float MaxOf(const float* s, int64_t n, float start) {
  Vec lanes = Splat(start);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) lanes = Max(lanes, Load(s + j));
  float m = MaxOf(lanes);
  for (; j < n; ++j) m = std::max(m, s[j]);
  return m;
}

// s[j] = e^(s[j] - shift); returns their sum.
float ExpShifted(float* s, int64_t n, float shift) {
  Vec lanes{};
  const Vec by = Splat(shift);
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    const Vec e = Exp(Load(s + j) - by);
    Store(s + j, e);
    lanes += e;
  }
  float sum = SumOf(lanes);
  for (; j < n; ++j) {
    s[j] = ExpNonPositive(s[j] - shift);
    sum += s[j];
  }
  return sum;
}

float Dot(const float* a, const float* b, int64_t n) {
  Vec lanes{};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) lanes += Load(a + j) * Load(b + j);
  float sum = SumOf(lanes);
  for (; j < n; ++j) sum += a[j] * b[j];
  return sum;
}

// x (rows x cols) transposed block by block: each block of `block` rows becomes a (cols x block)
// matrix, the blocks one after another (the last may be shorter). A tile's keys are then
// contiguous: rows `block` floats apart, where a whole transposed K put them L floats apart, a
// stride (16 KB at L 4096) that sent every row of a tile to the same cache set.
void TransposeInBlocks(const float* x, int64_t rows, int64_t cols, int64_t block, float* xt) {
  for (int64_t start = 0; start < rows; start += block) {
    const int64_t count = std::min(block, rows - start);
    float* out = xt + start * cols;
    for (int64_t r = 0; r < count; ++r) {
      for (int64_t c = 0; c < cols; ++c) out[c * count + r] = x[(start + r) * cols + c];
    }
  }
}

template <int kD>
void ForwardTiles(const HeadInputs& head, int64_t key_block, float* out, float* lse) {
  const int64_t dim = kD > 0 ? kD : head.head_dim;
  const int64_t lq = head.query_length, lk = head.key_length;
  const int64_t tile_k = std::max<int64_t>(1, std::min(key_block, lk));
  // K transposed tile by tile: a query's scores against a tile are then sums of contiguous rows.
  std::vector<float> kt(static_cast<size_t>(dim * lk));
  TransposeInBlocks(head.k, lk, dim, tile_k, kt.data());
  std::vector<float> scores(static_cast<size_t>(tile_k));
  std::vector<float> acc(static_cast<size_t>(kQueryTile * dim));
  float row_max[kQueryTile], row_sum[kQueryTile];
  for (int64_t qs = 0; qs < lq; qs += kQueryTile) {
    const int64_t tile_q = std::min(kQueryTile, lq - qs);
    std::fill(row_max, row_max + tile_q, -kInf);
    std::fill(row_sum, row_sum + tile_q, 0.0f);
    std::fill(acc.begin(), acc.begin() + tile_q * dim, 0.0f);
    for (int64_t ks = 0; ks < lk; ks += tile_k) {
      const int64_t tk = std::min(tile_k, lk - ks);
      const uint8_t* padded = head.key_padded ? head.key_padded + ks : nullptr;
      for (int64_t i = 0; i < tile_q; ++i) {
        float* s = scores.data();
        RowTimesColumns<kD>(head.q + (qs + i) * dim, kt.data() + ks * dim, tk, dim, tk, s);
        MaskPadded(padded, tk, s);
        const float m = MaxOf(s, tk, row_max[i]);
        if (m == -kInf) continue;  // every key so far is padding
        const float correction = ExpNonPositive(row_max[i] - m);
        row_sum[i] = row_sum[i] * correction + ExpShifted(s, tk, m);
        row_max[i] = m;
        float* o = acc.data() + i * dim;
        for (int64_t d = 0; d < dim; ++d) o[d] *= correction;
        AddWeightedRows<kD>(s, head.v + ks * dim, dim, tk, o);
      }
    }
    for (int64_t i = 0; i < tile_q; ++i) {
      float* o = out + (qs + i) * dim;
      const float* a = acc.data() + i * dim;
      const float inverse = row_sum[i] > 0 ? 1.0f / row_sum[i] : 0.0f;
      for (int64_t d = 0; d < dim; ++d) o[d] = a[d] * inverse;
      lse[qs + i] = row_sum[i] > 0 ? row_max[i] + std::log(row_sum[i]) : kInf;
    }
  }
}

template <int kD>
void BackwardTiles(const HeadInputs& head, int64_t key_block, const float* out, const float* lse,
                   const float* grad_out, float* grad_q, float* grad_k, float* grad_v) {
  const int64_t dim = kD > 0 ? kD : head.head_dim;
  const int64_t lq = head.query_length, lk = head.key_length;
  const int64_t tile_k = std::max<int64_t>(1, std::min(key_block, lk));
  std::vector<float> kt(static_cast<size_t>(dim * lk)), vt(static_cast<size_t>(dim * lk));
  TransposeInBlocks(head.k, lk, dim, tile_k, kt.data());
  TransposeInBlocks(head.v, lk, dim, tile_k, vt.data());
  // The softmax backward's row term: sum_j P_ij dP_ij = dO_i . O_i.
  std::vector<float> row_term(static_cast<size_t>(lq));
  for (int64_t i = 0; i < lq; ++i) row_term[i] = Dot(grad_out + i * dim, out + i * dim, dim);
  std::fill(grad_q, grad_q + lq * dim, 0.0f);
  std::vector<float> p(static_cast<size_t>(tile_k)), ds(static_cast<size_t>(tile_k));
  for (int64_t ks = 0; ks < lk; ks += tile_k) {
    const int64_t tk = std::min(tile_k, lk - ks);
    const uint8_t* padded = head.key_padded ? head.key_padded + ks : nullptr;
    float* dk = grad_k + ks * dim;
    float* dv = grad_v + ks * dim;
    std::fill(dk, dk + tk * dim, 0.0f);
    std::fill(dv, dv + tk * dim, 0.0f);
    for (int64_t i = 0; i < lq; ++i) {
      const float* qi = head.q + i * dim;
      const float* doi = grad_out + i * dim;
      // The tile's softmax weights, recomputed from the row's log-sum-exp.
      RowTimesColumns<kD>(qi, kt.data() + ks * dim, tk, dim, tk, p.data());
      MaskPadded(padded, tk, p.data());
      ExpShifted(p.data(), tk, lse[i]);
      RowTimesColumns<kD>(doi, vt.data() + ks * dim, tk, dim, tk, ds.data());  // dP
      const float term = row_term[i];
      for (int64_t j = 0; j < tk; ++j) ds[j] = p[j] * (ds[j] - term);
      AddScaledToRows<kD>(p.data(), doi, dim, tk, dv);
      AddWeightedRows<kD>(ds.data(), head.k + ks * dim, dim, tk, grad_q + i * dim);
      AddScaledToRows<kD>(ds.data(), qi, dim, tk, dk);
    }
  }
}

}  // namespace

void SoftmaxRows(float* scores, int64_t rows, int64_t cols, const uint8_t* key_padded) {
  for (int64_t r = 0; r < rows; ++r) {
    float* s = scores + r * cols;
    MaskPadded(key_padded, cols, s);
    const float m = MaxOf(s, cols, -kInf);
    if (m == -kInf) {  // every key is padding
      std::fill(s, s + cols, 0.0f);
      continue;
    }
    const float inverse = 1.0f / ExpShifted(s, cols, m);
    for (int64_t j = 0; j < cols; ++j) s[j] *= inverse;
  }
}

void SoftmaxRowsBackward(const float* weights, const float* grad_weights, int64_t rows,
                         int64_t cols, float* grad_scores) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = weights + r * cols;
    const float* g = grad_weights + r * cols;
    float* out = grad_scores + r * cols;
    const float term = Dot(g, p, cols);
    for (int64_t j = 0; j < cols; ++j) out[j] = p[j] * (g[j] - term);
  }
}

void Forward(const HeadInputs& head, int64_t key_block, float* out, float* lse) {
  switch (head.head_dim) {
    case 16:
      return ForwardTiles<16>(head, key_block, out, lse);
    case 32:
      return ForwardTiles<32>(head, key_block, out, lse);
    case 64:
      return ForwardTiles<64>(head, key_block, out, lse);
    default:
      return ForwardTiles<0>(head, key_block, out, lse);
  }
}

void Backward(const HeadInputs& head, int64_t key_block, const float* out, const float* lse,
              const float* grad_out, float* grad_q, float* grad_k, float* grad_v) {
  switch (head.head_dim) {
    case 16:
      return BackwardTiles<16>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
    case 32:
      return BackwardTiles<32>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
    case 64:
      return BackwardTiles<64>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
    default:
      return BackwardTiles<0>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
  }
}

}  // namespace ATTNSWEEP_KERNEL_ISA
}  // namespace attnsweep
