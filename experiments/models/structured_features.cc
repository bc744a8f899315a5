#include "experiments/models/structured_features.h"

#include <cmath>
#include <vector>

namespace attnsweep {

namespace {

int64_t NextPowerOfTwo(int64_t d) {
  int64_t p = 1;
  while (p < d) p <<= 1;
  return p;
}

// Random signs +-1, n of them, from `generator`.
std::vector<float> RandomSigns(int64_t n, at::Generator generator) {
  const auto bits = at::randint(2, {n}, generator, at::TensorOptions(at::kLong));
  const auto* b = bits.data_ptr<int64_t>();
  std::vector<float> signs(n);
  for (int64_t i = 0; i < n; ++i) signs[i] = b[i] != 0 ? 1.0f : -1.0f;
  return signs;
}

// m (p x p, row-major) <- H m, H the Hadamard matrix normalised by 1/sqrt(p): butterflies on
// whole rows, so the inner loop runs along contiguous memory.
void HadamardFromLeft(float* m, int64_t p) {
  for (int64_t half = 1; half < p; half <<= 1) {
    for (int64_t start = 0; start < p; start += 2 * half) {
      for (int64_t r = start; r < start + half; ++r) {
        float* a = m + r * p;
        float* b = m + (r + half) * p;
        for (int64_t c = 0; c < p; ++c) {
          const float x = a[c], y = b[c];
          a[c] = x + y;
          b[c] = x - y;
        }
      }
    }
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(p));
  for (int64_t i = 0; i < p * p; ++i) m[i] *= scale;
}

}  // namespace

at::Tensor DrawHadamardBlock(int64_t d, at::Generator generator) {
  const int64_t p = NextPowerOfTwo(d);
  // Built right to left: D3, then H, D2, H, D1, H, each applied to the rows from the left.
  auto s = at::zeros({p, p}, at::TensorOptions(at::kFloat));
  float* m = s.data_ptr<float>();
  const auto d3 = RandomSigns(p, generator);
  for (int64_t i = 0; i < p; ++i) m[i * p + i] = d3[i];
  for (int round = 0; round < 2; ++round) {
    HadamardFromLeft(m, p);
    const auto signs = RandomSigns(p, generator);
    for (int64_t r = 0; r < p; ++r) {
      for (int64_t c = 0; c < p; ++c) m[r * p + c] *= signs[r];
    }
  }
  HadamardFromLeft(m, p);
  auto block = s.slice(0, 0, d).slice(1, 0, d).contiguous();
  if (p != d) block = block / block.norm(2, {1}, true);
  return block;
}

int64_t GivensRotationCount(int64_t d) {
  int64_t log2 = 0;
  while ((int64_t{1} << log2) < d) ++log2;
  return std::max<int64_t>(1, 8 * d * log2);
}

at::Tensor DrawGivensBlock(int64_t d, at::Generator generator) {
  auto q = at::zeros({d, d}, at::TensorOptions(at::kFloat));
  float* m = q.data_ptr<float>();
  const auto signs = RandomSigns(d, generator);
  for (int64_t i = 0; i < d; ++i) m[i * d + i] = signs[i];
  if (d == 1) return q;
  const int64_t count = GivensRotationCount(d);
  // A pair i != j: i uniform, j = i + 1 + uniform(d - 1) around the circle.
  const auto first = at::randint(d, {count}, generator, at::TensorOptions(at::kLong));
  const auto offset = at::randint(d - 1, {count}, generator, at::TensorOptions(at::kLong));
  const auto angle = at::rand({count}, generator, at::TensorOptions(at::kDouble)) * (2 * M_PI);
  const auto* fi = first.data_ptr<int64_t>();
  const auto* of = offset.data_ptr<int64_t>();
  const auto* th = angle.data_ptr<double>();
  for (int64_t k = 0; k < count; ++k) {
    const int64_t i = fi[k], j = (fi[k] + 1 + of[k]) % d;
    const float c = static_cast<float>(std::cos(th[k])), s = static_cast<float>(std::sin(th[k]));
    float* a = m + i * d;
    float* b = m + j * d;
    for (int64_t col = 0; col < d; ++col) {
      const float x = a[col], y = b[col];
      a[col] = c * x - s * y;
      b[col] = s * x + c * y;
    }
  }
  return q;
}

}  // namespace attnsweep
