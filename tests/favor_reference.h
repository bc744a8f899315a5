// FAVOR+ written out from the paper's formulas in double, for the tests that check the Performer
// kernels against it.
#pragma once

#include <ATen/ATen.h>

#include <cmath>
#include <string>

namespace attnsweep {

// Unstabilised (double's range suffices at the tests' sizes): phi from the kernel's formula, then
// D^-1 phi(Q) (phi(K)^T V) over the first `real_keys` keys. q (B, H, Lq, D), k and v (B, H, Lk, D),
// w (M, D); differentiable in q, k and v.
inline at::Tensor FavorInDouble(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const at::Tensor& w, const std::string& kernel, int64_t real_keys) {
  const double normaliser = std::pow(static_cast<double>(q.size(-1)), -0.25);
  const auto wd = w.to(at::kDouble);
  const double m = static_cast<double>(w.size(0));
  auto phi = [&](const at::Tensor& x) {
    const auto xs = x.to(at::kDouble) * normaliser;
    const auto projected = at::matmul(xs, wd.t());
    const auto half_norm_sq = xs.pow(2).sum(-1, true) / 2;
    if (kernel == "positive") return at::exp(projected - half_norm_sq) / std::sqrt(m);
    if (kernel == "hyperbolic") {
      return at::cat({at::exp(projected), at::exp(-projected)}, -1) * at::exp(-half_norm_sq) /
             std::sqrt(2 * m);
    }
    return at::cat({at::cos(projected), at::sin(projected)}, -1) * at::exp(half_norm_sq) /
           std::sqrt(m);
  };
  const auto phi_q = phi(q), phi_k = phi(k.slice(2, 0, real_keys));
  const auto values = v.slice(2, 0, real_keys).to(at::kDouble);
  return at::matmul(phi_q, at::matmul(phi_k.transpose(-2, -1), values)) /
         at::matmul(phi_q, phi_k.sum(-2).unsqueeze(-1));
}

}  // namespace attnsweep
