// The fused attention kernels' bodies (fused_attention_kernel.h), written as plain loops over
// fixed-width lanes that the compiler vectorises for the instruction set of the file that includes
// this: fused_attention_isa_*.cc each define ATTNSWEEP_KERNEL_ISA (the namespace) and are compiled
// with their own -m flags. No #pragma once: each of them includes it once.
//
// The arithmetic is on GCC vector types one register wide (the compiler left to itself vectorised
// the loops, but with shuffles that made the kernel slower than unfused attention); sums and maxima
// are kept per lane and combined at the end.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "experiments/models/fused_attention_isa.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#if !defined(ATTNSWEEP_KERNEL_ISA) || !defined(ATTNSWEEP_KERNEL_VEC_BYTES) || \
    !defined(ATTNSWEEP_KERNEL_VEC_REGISTERS)
#error \
    "define ATTNSWEEP_KERNEL_ISA, ATTNSWEEP_KERNEL_VEC_BYTES and ATTNSWEEP_KERNEL_VEC_REGISTERS before including fused_attention_tiles.h"
#endif

namespace attnsweep {
namespace ATTNSWEEP_KERNEL_ISA {
namespace {

// One register of floats, as GCC's vector extension: 16 for AVX-512, 8 for AVX2, 4 for SSE (set by
// the file including this). Sixteen everywhere, as the kernels were first written, made AVX2 and
// SSE emulate each operation on two or four registers: lane-by-lane compares for the maxima,
// vectors passed between functions through the stack, stores of half a vector read back whole
// (store-forwarding stalls). The forward ran at 4 GFLOP/s on a Zen 3 (AVX2), a tenth of SDPA's.
typedef float Vec __attribute__((vector_size(ATTNSWEEP_KERNEL_VEC_BYTES)));
typedef int32_t IntVec __attribute__((vector_size(ATTNSWEEP_KERNEL_VEC_BYTES)));
constexpr int64_t kLanes = ATTNSWEEP_KERNEL_VEC_BYTES / sizeof(float);
// The instruction set's vector registers (set by the file including this).
constexpr int kVecRegisters = ATTNSWEEP_KERNEL_VEC_REGISTERS;
// Query rows per tile: each tile of keys and values, once loaded, serves all of them. At d_head 128
// a sequence's keys and values (16 MB at L 16384) outgrow the caches, and with 32 rows per pass
// over them the forward ran at 66 % of the matmul's rate there, against 91 % at L 4096 (Zen 4);
// on Zen 5, 128 rows took 3 % off the forward at d_head 16 and 7 % at 32 (L 4096), where a head's
// keys and values (1 MB at d_head 32) fill its 1 MB L2.
constexpr int64_t kQueryTile = 128;
constexpr float kInf = std::numeric_limits<float>::infinity();

inline Vec Load(const float* p) {
  Vec v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store(float* p, Vec v) { __builtin_memcpy(p, &v, sizeof(v)); }
inline Vec Splat(float x) { return Vec{} + x; }
inline Vec Max(Vec a, Vec b) { return a > b ? a : b; }
// Sums and maxima across a vector's lanes by halving (log2 of the lanes shuffles), where a loop
// over the lanes made a chain of sixteen dependent operations, paid once per row and tile of keys:
// at d_head 16, against 512 multiply-adds of products per row and tile.
inline IntVec LaneIndices() {
  IntVec lane{};
  for (int i = 0; i < kLanes; ++i) lane[i] = i;
  return lane;
}
inline Vec SwapHalves(Vec v, int width) { return __builtin_shuffle(v, LaneIndices() ^ width); }
inline float SumOf(Vec v) {
  for (int width = kLanes / 2; width >= 1; width /= 2) v += SwapHalves(v, width);
  return v[0];
}
inline float MaxOf(Vec v) {
  for (int width = kLanes / 2; width >= 1; width /= 2) v = Max(v, SwapHalves(v, width));
  return v[0];
}

// e^x for x <= 0 (a little above 0 is fine too), within 2e-7 relative near 0 and |x| 6e-8 more
// further out (the rounding of x log2 e); exactly 0 below e^-87 and for -inf or NaN. exp(x) = 2^n
// 2^f with n = round(x log2 e) and |f| <= 1/2; 2^f by its Taylor series to degree 6 (remainder
// below 1.3e-7); 2^n added to the exponent bits.
inline Vec TwoToTheFraction(Vec f) {
  Vec p = Splat(1.5403530e-4f);
  p = p * f + 1.3333558e-3f;
  p = p * f + 9.6181291e-3f;
  p = p * f + 5.5504109e-2f;
  p = p * f + 2.4022651e-1f;
  p = p * f + 6.9314718e-1f;
  return p * f + 1.0f;
}
constexpr float kLog2e = 1.44269504088896341f;
#if defined(__AVX512F__)
// AVX-512 rounds (vrndscaleps) and scales by 2^n (vscalefps) in one instruction each, and zeroes
// the lanes out of range through a mask, where the generic form below takes five operations more:
// 11 per 16 exponentials instead of 16, 5 % off the forward at d_head 16 and 32. The same results
// as the generic form's to rounding, 0 included (a NaN compares false). (The maskz forms: GCC 12
// warns about the others' undefined pass-through operand.)
inline Vec Exp(Vec x) {
  const Vec t = x * kLog2e;
  const __mmask16 in_range = _mm512_cmp_ps_mask(t, Splat(-126.0f), _CMP_GE_OQ);
  const Vec n =
      _mm512_maskz_roundscale_ps(in_range, t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm512_maskz_scalef_ps(in_range, TwoToTheFraction(t - n), n);
}
#else
inline Vec Exp(Vec x) {
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to integer
  const Vec t_raw = x * kLog2e;
  const IntVec in_range = t_raw >= -126.0f;  // false for NaN too
  const Vec t = in_range ? t_raw : Splat(-126.0f);
  const Vec n = (t + kRound) - kRound;
  const IntVec bits =
      (IntVec)TwoToTheFraction(t - n) + __builtin_convertvector(n, IntVec) * (1 << 23);
  return in_range ? (Vec)bits : Splat(0.0f);
}
#endif

inline float ExpNonPositive(float x) { return Exp(Splat(x))[0]; }

// Query rows handled together: each key or value row loaded into a register then serves all of
// them, which halved the loads per multiply-add. Four fit AVX-512's 32 registers and AVX2's 16
// (the products keep 8 sums of 8 floats there): on a Zen 3, one thread, L 2048, against one row
// at a time, forward d_head 64 535 -> 430 ms, 128 1,165 -> 824 ms.
constexpr int kRowBlock = 4;
// The backward takes eight where the registers allow (AVX-512): each row of dK and dV it loads,
// adds to and stores back then serves eight query rows, halving that traffic, which at d_head 128
// outgrew what the L2 cache delivers (forward + backward at L 4096, one thread, Zen 5: d_head 128
// 3,905 -> 3,591 ms, 32 896 -> 864, 16 545 -> 512, 64 unchanged; medians of three interleaved
// runs). Four with AVX2's 16 (Zen 3, L 2048, against one: d_head 64 1,915 -> 1,478 ms, 128
// 4,512 -> 2,840, 16 510 -> 413).
constexpr int kBackwardRowBlock = kVecRegisters >= 32 ? 8 : 4;

// For r < kR: s[r * s_stride + j] = sum_d a[r * dim + d] * bt[d * stride + j], j < n: kR rows of
// a (each 1 x D) times bt (D x n, rows `stride` apart). kD: D at compile time (0: `dim` at run
// time).
template <int kD, int kR>
void RowsTimesColumns(const float* a, const float* bt, int64_t stride, int64_t dim, int64_t n,
                      float* s, int64_t s_stride) {
  const int64_t d_count = kD > 0 ? kD : dim;
  int64_t j = 0;
  // Independent chains of multiply-adds (kR rows x kRuns vectors of keys) keep both of a core's
  // FMA units busy through their four-cycle latency, within half the registers.
  constexpr int kRuns = std::max(1, std::min(8, kVecRegisters / 2 / kR));
  for (; j + kRuns * kLanes <= n; j += kRuns * kLanes) {
    Vec sum[kR][kRuns] = {};
    for (int64_t d = 0; d < d_count; ++d) {
      const float* b = bt + d * stride + j;
      Vec bs[kRuns];
      for (int u = 0; u < kRuns; ++u) bs[u] = Load(b + u * kLanes);
      for (int r = 0; r < kR; ++r) {
        const Vec ad = Splat(a[r * d_count + d]);
        for (int u = 0; u < kRuns; ++u) sum[r][u] += ad * bs[u];
      }
    }
    for (int r = 0; r < kR; ++r) {
      for (int u = 0; u < kRuns; ++u) Store(s + r * s_stride + j + u * kLanes, sum[r][u]);
    }
  }
  for (; j + kLanes <= n; j += kLanes) {
    Vec sum[kR] = {};
    for (int64_t d = 0; d < d_count; ++d) {
      const Vec b = Load(bt + d * stride + j);
      for (int r = 0; r < kR; ++r) sum[r] += Splat(a[r * d_count + d]) * b;
    }
    for (int r = 0; r < kR; ++r) Store(s + r * s_stride + j, sum[r]);
  }
  for (; j < n; ++j) {
    for (int r = 0; r < kR; ++r) {
      float sum = 0;
      for (int64_t d = 0; d < d_count; ++d) sum += a[r * d_count + d] * bt[d * stride + j];
      s[r * s_stride + j] = sum;
    }
  }
}

// y (n floats) += a * x: the products' scalar path, for head sizes without a vector one.
inline void AddScaled(float a, const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Registers of a D-wide row that the products below keep live for each of kR rows at once: all of
// D up to 64 floats; wider heads (128) go through D in slices of that size, since 4 rows x 8
// registers of sums, with the loads beside them, would not fit in 32 and spilled to the stack.
template <int kD, int kR>
constexpr int SliceRegisters() {
  return std::max(1, std::min<int>(kD / kLanes, kVecRegisters / 2 / kR));
}

// For r < kR: o[r * dim ...] (D) += sum_j p[r * p_stride + j] * rows[j] (each row D wide), j < n.
template <int kD, int kR>
void AddWeightedRows(const float* p, int64_t p_stride, const float* rows, int64_t dim, int64_t n,
                     float* o) {
  if constexpr (kD > 0 && kD % kLanes == 0) {
    constexpr int kRegisters = SliceRegisters<kD, kR>();
    // At least sixteen independent sums (rows j, j+1, ... go to different ones), so the adds do not
    // wait on each other: one chain ran at a quarter of the FMA units' speed, and Zen 5's two
    // 512-bit FMA units of four cycles' latency need eight in flight (sixteen: 3 % off the forward
    // at d_head 32 against eight).
    // Half the registers at most: AVX2's 16 hold eight sums beside the rows loaded.
    constexpr int kChains = std::max(1, std::min(16, kVecRegisters / 2) / (kR * kRegisters));
    for (int64_t slice = 0; slice < kD; slice += kRegisters * kLanes) {
      Vec sum[kChains][kR][kRegisters] = {};
      for (int r = 0; r < kR; ++r) {
        for (int g = 0; g < kRegisters; ++g) sum[0][r][g] = Load(o + r * kD + slice + g * kLanes);
      }
      int64_t j = 0;
      for (; j + kChains <= n; j += kChains) {
        for (int c = 0; c < kChains; ++c) {
          const float* row = rows + (j + c) * kD + slice;
          Vec vs[kRegisters];
          for (int g = 0; g < kRegisters; ++g) vs[g] = Load(row + g * kLanes);
          for (int r = 0; r < kR; ++r) {
            const Vec pj = Splat(p[r * p_stride + j + c]);
            for (int g = 0; g < kRegisters; ++g) sum[c][r][g] += pj * vs[g];
          }
        }
      }
      for (; j < n; ++j) {
        const float* row = rows + j * kD + slice;
        for (int r = 0; r < kR; ++r) {
          const Vec pj = Splat(p[r * p_stride + j]);
          for (int g = 0; g < kRegisters; ++g) sum[0][r][g] += pj * Load(row + g * kLanes);
        }
      }
      for (int c = 1; c < kChains; ++c) {
        for (int r = 0; r < kR; ++r) {
          for (int g = 0; g < kRegisters; ++g) sum[0][r][g] += sum[c][r][g];
        }
      }
      for (int r = 0; r < kR; ++r) {
        for (int g = 0; g < kRegisters; ++g) Store(o + r * kD + slice + g * kLanes, sum[0][r][g]);
      }
    }
  } else {
    for (int r = 0; r < kR; ++r) {
      for (int64_t j = 0; j < n; ++j)
        AddScaled(p[r * p_stride + j], rows + j * dim, dim, o + r * dim);
    }
  }
}

// rows[j] (each D wide) += sum_{r < kR} p[r * p_stride + j] * x[r * dim ...], j < n.
template <int kD, int kR>
void AddScaledToRows(const float* p, int64_t p_stride, const float* x, int64_t dim, int64_t n,
                     float* rows) {
  if constexpr (kD > 0 && kD % kLanes == 0) {
    constexpr int kRegisters = SliceRegisters<kD, kR>();
    for (int64_t slice = 0; slice < kD; slice += kRegisters * kLanes) {
      Vec xs[kR][kRegisters];
      for (int r = 0; r < kR; ++r) {
        for (int g = 0; g < kRegisters; ++g) xs[r][g] = Load(x + r * kD + slice + g * kLanes);
      }
      for (int64_t j = 0; j < n; ++j) {
        float* row = rows + j * kD + slice;
        Vec sum[kRegisters];
        for (int g = 0; g < kRegisters; ++g) sum[g] = Load(row + g * kLanes);
        for (int r = 0; r < kR; ++r) {
          const Vec pj = Splat(p[r * p_stride + j]);
          for (int g = 0; g < kRegisters; ++g) sum[g] += pj * xs[r][g];
        }
        for (int g = 0; g < kRegisters; ++g) Store(row + g * kLanes, sum[g]);
      }
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      for (int r = 0; r < kR; ++r) AddScaled(p[r * p_stride + j], x + r * dim, dim, rows + j * dim);
    }
  }
}

// Masks padded keys and, under a causal mask, the keys from `visible` on: their scores become -inf.
void MaskPadded(const uint8_t* padded, int64_t n, float* s, int64_t visible) {
  if (padded != nullptr) {
    for (int64_t j = 0; j < n; ++j) s[j] = padded[j] ? -kInf : s[j];
  }
  for (int64_t j = std::max<int64_t>(0, visible); j < n; ++j) s[j] = -kInf;
}

// How many of a tile's keys, the first being key `first_key`, query row `row` of the sequence
// sees: all of them without a causal mask.
inline int64_t VisibleKeys(const HeadInputs& head, int64_t row, int64_t first_key, int64_t tk) {
  return head.causal ? std::min(tk, head.query_offset + row - first_key + 1) : tk;
}

// How many of a tile's keys rows [query, query + kR) see, each (visible) and together: the
// columns of the tile they compute. On the causal mask's diagonal the keys no row sees are left
// out, not computed and masked (5 % off the causal forward at d_head 32): to a whole number of
// vectors, which the products' vector loops take (their scalar tail is slow).
template <int kR>
int64_t VisibleColumns(const HeadInputs& head, int64_t query, int64_t first_key, int64_t tk,
                       int64_t* visible) {
  int64_t most = 0;
  for (int r = 0; r < kR; ++r) {
    visible[r] = VisibleKeys(head, query + r, first_key, tk);
    most = std::max(most, visible[r]);
  }
  return std::min(tk, (most + kLanes - 1) / kLanes * kLanes);
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
  // The tail's bounds computed apart: counting on from the vector loop's end, GCC 12 saw the tail
  // of a 128-long dot product at 4 lanes run past 2^62 and warned.
  const int64_t vector_end = n - n % kLanes;
  for (int64_t j = 0; j < vector_end; j += kLanes) lanes += Load(a + j) * Load(b + j);
  float sum = SumOf(lanes);
  for (int64_t j = vector_end; j < n; ++j) sum += a[j] * b[j];
  return sum;
}

// The online softmax of kR query rows over one tile of keys: their scores (kR rows of `tile`
// floats, `tk` used) become weights relative to each row's new running max; the rows' sums and
// accumulated outputs are rescaled to it. A row whose keys so far are all padding keeps weight 0.
template <int kR>
void OnlineSoftmaxStep(float* scores, int64_t tile, int64_t tk, const uint8_t* padded,
                       const int64_t* visible, float* row_max, float* row_sum, float* acc,
                       int64_t dim) {
  for (int r = 0; r < kR; ++r) {
    float* s = scores + r * tile;
    MaskPadded(padded, tk, s, visible[r]);
    const float m = MaxOf(s, tk, row_max[r]);
    if (m == -kInf) {
      std::fill(s, s + tk, 0.0f);
      continue;
    }
    const float correction = ExpNonPositive(row_max[r] - m);
    row_sum[r] = row_sum[r] * correction + ExpShifted(s, tk, m);
    row_max[r] = m;
    if (correction != 1.0f) {
      float* o = acc + r * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] *= correction;
    }
  }
}

// Rows [first, first + kR) of a query tile against one key tile, forward.
template <int kD, int kR>
void ForwardRows(const HeadInputs& head, int64_t dim, const float* kt_tile, const float* v_tile,
                 int64_t tile, int64_t first_key, int64_t tk, const uint8_t* padded, int64_t query,
                 float* scores, float* row_max, float* row_sum, float* acc) {
  int64_t visible[kR];
  const int64_t n = VisibleColumns<kR>(head, query, first_key, tk, visible);
  RowsTimesColumns<kD, kR>(head.q + query * dim, kt_tile, tk, dim, n, scores, tile);
  OnlineSoftmaxStep<kR>(scores, tile, n, padded, visible, row_max, row_sum, acc, dim);
  AddWeightedRows<kD, kR>(scores, tile, v_tile, dim, n, acc);
}

template <int kD>
void ForwardTiles(const HeadInputs& head, int64_t key_block, float* out, float* lse) {
  const int64_t dim = kD > 0 ? kD : head.head_dim;
  const int64_t lq = head.query_length, lk = head.key_length;
  const int64_t tile_k = std::max<int64_t>(1, std::min(key_block, lk));
  // K transposed tile by tile: a query's scores against a tile are then sums of contiguous rows.
  std::vector<float> own_kt;
  const float* kt = head.keys_transposed;
  if (kt == nullptr) {
    own_kt.resize(static_cast<size_t>(dim * lk));
    TransposeKeysInBlocks(head.k, lk, dim, tile_k, own_kt.data());
    kt = own_kt.data();
  }
  std::vector<float> scores(static_cast<size_t>(kRowBlock * tile_k));
  std::vector<float> acc(static_cast<size_t>(kQueryTile * dim));
  float row_max[kQueryTile], row_sum[kQueryTile];
  for (int64_t qs = 0; qs < lq; qs += kQueryTile) {
    const int64_t tile_q = std::min(kQueryTile, lq - qs);
    std::fill(row_max, row_max + tile_q, -kInf);
    std::fill(row_sum, row_sum + tile_q, 0.0f);
    std::fill(acc.begin(), acc.begin() + tile_q * dim, 0.0f);
    // Under a causal mask the tile's last query sees keys up to its own row: no further.
    const int64_t key_end = head.causal ? std::min(lk, head.query_offset + qs + tile_q) : lk;
    for (int64_t ks = 0; ks < key_end; ks += tile_k) {
      const int64_t tk = std::min(tile_k, lk - ks);
      const uint8_t* padded = head.key_padded ? head.key_padded + ks : nullptr;
      const float* kt_tile = kt + ks * dim;
      const float* v_tile = head.v + ks * dim;
      int64_t i = 0;
      for (; i + kRowBlock <= tile_q; i += kRowBlock) {
        ForwardRows<kD, kRowBlock>(head, dim, kt_tile, v_tile, tile_k, ks, tk, padded, qs + i,
                                   scores.data(), row_max + i, row_sum + i, acc.data() + i * dim);
      }
      for (; i < tile_q; ++i) {
        ForwardRows<kD, 1>(head, dim, kt_tile, v_tile, tile_k, ks, tk, padded, qs + i,
                           scores.data(), row_max + i, row_sum + i, acc.data() + i * dim);
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

// What the backward of one key tile needs, shared by its groups of query rows.
struct BackwardTile {
  int64_t first_key;
  const float* kt;  // the tile's keys transposed (D x tk)
  const float* vt;  // its values transposed
  const float* k;   // its keys, rows
  const uint8_t* padded;
  int64_t tk;
  float* grad_k;  // its rows of dK and dV, accumulated over queries
  float* grad_v;
};

// Rows [query, query + kR) against one key tile, backward: their weights recomputed from the
// saved log-sum-exp, then their shares of dV, dQ and dK. p and ds: kR rows of `tile` floats.
template <int kD, int kR>
void BackwardRows(const HeadInputs& head, int64_t dim, const BackwardTile& t, int64_t tile,
                  int64_t query, const float* lse, const float* row_term, const float* grad_out,
                  float* grad_q, float* p, float* ds) {
  const float* q = head.q + query * dim;
  const float* d_out = grad_out + query * dim;
  int64_t visible[kR];
  const int64_t n = VisibleColumns<kR>(head, query, t.first_key, t.tk, visible);
  RowsTimesColumns<kD, kR>(q, t.kt, t.tk, dim, n, p, tile);
  RowsTimesColumns<kD, kR>(d_out, t.vt, t.tk, dim, n, ds, tile);  // dP
  for (int r = 0; r < kR; ++r) {
    float* pr = p + r * tile;
    float* dsr = ds + r * tile;
    MaskPadded(t.padded, n, pr, visible[r]);
    ExpShifted(pr, n, lse[query + r]);
    const float term = row_term[query + r];
    for (int64_t j = 0; j < n; ++j) dsr[j] = pr[j] * (dsr[j] - term);
  }
  AddScaledToRows<kD, kR>(p, tile, d_out, dim, n, t.grad_v);
  AddWeightedRows<kD, kR>(ds, tile, t.k, dim, n, grad_q + query * dim);
  AddScaledToRows<kD, kR>(ds, tile, q, dim, n, t.grad_k);
}

template <int kD>
void BackwardTiles(const HeadInputs& head, int64_t key_block, const float* out, const float* lse,
                   const float* grad_out, float* grad_q, float* grad_k, float* grad_v) {
  const int64_t dim = kD > 0 ? kD : head.head_dim;
  const int64_t lq = head.query_length, lk = head.key_length;
  const int64_t tile_k = std::max<int64_t>(1, std::min(key_block, lk));
  std::vector<float> kt(static_cast<size_t>(dim * lk)), vt(static_cast<size_t>(dim * lk));
  TransposeKeysInBlocks(head.k, lk, dim, tile_k, kt.data());
  TransposeKeysInBlocks(head.v, lk, dim, tile_k, vt.data());
  // The softmax backward's row term: sum_j P_ij dP_ij = dO_i . O_i.
  std::vector<float> row_term(static_cast<size_t>(lq));
  for (int64_t i = 0; i < lq; ++i) row_term[i] = Dot(grad_out + i * dim, out + i * dim, dim);
  std::fill(grad_q, grad_q + lq * dim, 0.0f);
  std::vector<float> p(static_cast<size_t>(kBackwardRowBlock * tile_k));
  std::vector<float> ds(static_cast<size_t>(kBackwardRowBlock * tile_k));
  for (int64_t ks = 0; ks < lk; ks += tile_k) {
    BackwardTile t;
    t.first_key = ks;
    t.tk = std::min(tile_k, lk - ks);
    t.kt = kt.data() + ks * dim;
    t.vt = vt.data() + ks * dim;
    t.k = head.k + ks * dim;
    t.padded = head.key_padded ? head.key_padded + ks : nullptr;
    t.grad_k = grad_k + ks * dim;
    t.grad_v = grad_v + ks * dim;
    std::fill(t.grad_k, t.grad_k + t.tk * dim, 0.0f);
    std::fill(t.grad_v, t.grad_v + t.tk * dim, 0.0f);
    // Under a causal mask, queries before the tile's first key see none of it.
    int64_t i = head.causal ? std::clamp<int64_t>(ks - head.query_offset, 0, lq) : 0;
    for (; i + kBackwardRowBlock <= lq; i += kBackwardRowBlock) {
      BackwardRows<kD, kBackwardRowBlock>(head, dim, t, tile_k, i, lse, row_term.data(), grad_out,
                                          grad_q, p.data(), ds.data());
    }
    for (; i < lq; ++i) {
      BackwardRows<kD, 1>(head, dim, t, tile_k, i, lse, row_term.data(), grad_out, grad_q, p.data(),
                          ds.data());
    }
  }
}

}  // namespace

void SoftmaxRows(float* scores, int64_t rows, int64_t cols, const uint8_t* key_padded) {
  for (int64_t r = 0; r < rows; ++r) {
    float* s = scores + r * cols;
    MaskPadded(key_padded, cols, s, cols);
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
    case 128:
      return ForwardTiles<128>(head, key_block, out, lse);
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
    case 128:
      return BackwardTiles<128>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
    default:
      return BackwardTiles<0>(head, key_block, out, lse, grad_out, grad_q, grad_k, grad_v);
  }
}

}  // namespace ATTNSWEEP_KERNEL_ISA
}  // namespace attnsweep
