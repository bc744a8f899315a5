#include "experiments/models/favor_fused.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/custom_function.h>

namespace attnsweep {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

// The features of one head's rows x (L, Dh) into phi (L, M'):
//   phi = exp(x Wn^T - n2 |x|^2 / 2 - shift + log_scale),
// Wn the directions times the d^-1/4 normaliser n, n2 = n^2; shift each row's own max (queries)
// or the largest over the head's real rows (keys). Rows with keep[r] == 0 (padding) are 0, whatever
// x holds there.
void HeadFeatures(const at::Tensor& x, const at::Tensor& wn, float n2, float log_scale,
                  bool per_row, const float* keep, at::Tensor& phi) {
  at::mm_out(phi, x, wn.t());
  const int64_t rows = x.size(0), dh = x.size(1), width = phi.size(1);
  const float* x_data = x.data_ptr<float>();
  float* phi_data = phi.data_ptr<float>();
  float head_max = kNegativeInfinity;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = phi_data + r * width;
    if (keep != nullptr && keep[r] == 0) {
      std::fill(row, row + width, kNegativeInfinity);
      continue;
    }
    const float* x_row = x_data + r * dh;
    float norm_sq = 0;
    for (int64_t d = 0; d < dh; ++d) norm_sq += x_row[d] * x_row[d];
    const float half = 0.5f * n2 * norm_sq;
    float row_max = kNegativeInfinity;
    for (int64_t j = 0; j < width; ++j) {
      row[j] -= half;
      row_max = std::max(row_max, row[j]);
    }
    if (per_row) {
      const float shift = row_max - log_scale;
      for (int64_t j = 0; j < width; ++j) row[j] -= shift;
    } else {
      head_max = std::max(head_max, row_max);
    }
  }
  if (!per_row && head_max != kNegativeInfinity) {
    const float shift = head_max - log_scale;
    for (int64_t r = 0; r < rows; ++r) {
      if (keep != nullptr && keep[r] == 0) continue;
      float* row = phi_data + r * width;
      for (int64_t j = 0; j < width; ++j) row[j] -= shift;
    }
  }
  at::exp_(phi);  // padded rows: exp(-inf) = 0
}

// Back through HeadFeatures with the shift held constant: given dL/dphi (overwritten), dE = dphi
// phi, and dx = dE Wn - n2 x rowsum(dE); padded rows 0.
void HeadFeaturesBackward(at::Tensor& grad_phi, const at::Tensor& phi, const at::Tensor& x,
                          const at::Tensor& wn, float n2, const float* keep, at::Tensor& grad_x) {
  const int64_t rows = x.size(0), dh = x.size(1), width = phi.size(1);
  float* grad_data = grad_phi.data_ptr<float>();
  const float* phi_data = phi.data_ptr<float>();
  std::vector<float> row_sums(rows);
  for (int64_t r = 0; r < rows; ++r) {
    float* grad_row = grad_data + r * width;
    const float* phi_row = phi_data + r * width;
    float sum = 0;
    for (int64_t j = 0; j < width; ++j) {
      grad_row[j] *= phi_row[j];
      sum += grad_row[j];
    }
    row_sums[r] = sum;
  }
  at::mm_out(grad_x, grad_phi, wn);
  const float* x_data = x.data_ptr<float>();
  float* dx = grad_x.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    float* dx_row = dx + r * dh;
    if (keep != nullptr && keep[r] == 0) {
      std::fill(dx_row, dx_row + dh, 0.0f);
      continue;
    }
    const float* x_row = x_data + r * dh;
    const float factor = n2 * row_sums[r];
    for (int64_t d = 0; d < dh; ++d) dx_row[d] -= factor * x_row[d];
  }
}

class FusedFavorFunction : public torch::autograd::Function<FusedFavorFunction> {
 public:
  // keep (B, Lk): 1 at real keys, 0 at padding.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v,
                               const torch::Tensor& wn, const torch::Tensor& keep, double n2,
                               double log_scale) {
    // Detached: the products below write into tensors of their own (out=), which autograd refuses
    // for inputs that require grad. Grad mode is per thread, and LibTorch 2.x does not carry the
    // forward's no-grad into the parallel loop's threads (1.13 did).
    const auto q = q_in.detach().contiguous(), k = k_in.detach().contiguous();
    const int64_t batch = q.size(0), heads = q.size(1), query_length = q.size(2);
    const int64_t key_length = k.size(2), dh = q.size(3), width = wn.size(0);
    const auto options = q.options();
    // V with a column of ones: phi(K)^T [V | 1] is phi(K)^T V and D^-1's sums phi(K)^T 1 in one
    // product, and phi(Q) times it the numerator and the denominator. Padded keys' rows are 0.
    auto values = at::ones({batch, heads, key_length, dh + 1}, options);
    values.narrow(3, 0, dh).copy_(v.detach());
    values.mul_(keep.view({batch, 1, key_length, 1}));
    auto phi_q = at::empty({batch, heads, query_length, width}, options);
    auto phi_k = at::empty({batch, heads, key_length, width}, options);
    auto state = at::empty({batch, heads, width, dh + 1}, options);
    auto sums =
        at::empty({batch, heads, query_length, dh + 1}, options);  // numerator | denominator
    auto out = at::empty({batch, heads, query_length, dh}, options);
    const float* keep_data = keep.data_ptr<float>();
    const auto n2f = static_cast<float>(n2), log_scale_f = static_cast<float>(log_scale);
    at::parallel_for(0, batch * heads, 1, [&](int64_t begin, int64_t end) {
      const at::NoGradGuard no_grad;  // per thread
      for (int64_t i = begin; i < end; ++i) {
        const int64_t b = i / heads, h = i % heads;
        auto phi_q_i = phi_q[b][h], phi_k_i = phi_k[b][h], state_i = state[b][h];
        auto sums_i = sums[b][h];
        HeadFeatures(q[b][h], wn, n2f, log_scale_f, true, nullptr, phi_q_i);
        HeadFeatures(k[b][h], wn, n2f, log_scale_f, false, keep_data + b * key_length, phi_k_i);
        at::mm_out(state_i, phi_k_i.t(), values[b][h]);
        at::mm_out(sums_i, phi_q_i, state_i);
        const float* sums_data = sums_i.data_ptr<float>();
        float* out_data = out[b][h].data_ptr<float>();
        for (int64_t r = 0; r < query_length; ++r) {
          const float* row = sums_data + r * (dh + 1);
          for (int64_t d = 0; d < dh; ++d) out_data[r * dh + d] = row[d] / row[dh];
        }
      }
    });
    ctx->save_for_backward({q, k, values, wn, keep, phi_q, phi_k, state, sums, out});
    ctx->saved_data["n2"] = n2;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &values = saved[2], &wn = saved[3], &keep = saved[4];
    const auto &phi_q = saved[5], &phi_k = saved[6], &state = saved[7], &sums = saved[8];
    const auto& out = saved[9];
    const auto n2 = static_cast<float>(ctx->saved_data["n2"].toDouble());
    const auto grad = grad_outputs[0].detach().contiguous();
    const int64_t batch = q.size(0), heads = q.size(1), query_length = q.size(2);
    const int64_t key_length = k.size(2), dh = q.size(3);
    auto grad_q = at::empty_like(q), grad_k = at::empty_like(k);
    auto grad_v = at::empty({batch, heads, key_length, dh}, q.options());
    auto grad_sums = at::empty_like(sums);
    auto grad_phi_q = at::empty_like(phi_q), grad_phi_k = at::empty_like(phi_k);
    auto grad_state = at::empty_like(state);
    const float* keep_data = keep.data_ptr<float>();
    at::parallel_for(0, batch * heads, 1, [&](int64_t begin, int64_t end) {
      const at::NoGradGuard no_grad;  // per thread
      for (int64_t i = begin; i < end; ++i) {
        const int64_t b = i / heads, h = i % heads;
        auto grad_sums_i = grad_sums[b][h], grad_phi_q_i = grad_phi_q[b][h];
        auto grad_phi_k_i = grad_phi_k[b][h], grad_state_i = grad_state[b][h];
        auto grad_q_i = grad_q[b][h], grad_k_i = grad_k[b][h], grad_v_i = grad_v[b][h];
        // out = numerator / denominator: dL/dnumerator = g / den, dL/dden = -(g . out) / den.
        const float* g = grad[b][h].data_ptr<float>();
        const float* o = out[b][h].data_ptr<float>();
        const float* s = sums[b][h].data_ptr<float>();
        float* gs = grad_sums_i.data_ptr<float>();
        for (int64_t r = 0; r < query_length; ++r) {
          const float den = s[r * (dh + 1) + dh];
          float dot = 0;
          for (int64_t d = 0; d < dh; ++d) {
            gs[r * (dh + 1) + d] = g[r * dh + d] / den;
            dot += g[r * dh + d] * o[r * dh + d];
          }
          gs[r * (dh + 1) + dh] = -dot / den;
        }
        // sums = phi_q state, state = phi_k^T values.
        at::mm_out(grad_phi_q_i, grad_sums_i, state[b][h].t());
        at::mm_out(grad_state_i, phi_q[b][h].t(), grad_sums_i);
        at::mm_out(grad_v_i, phi_k[b][h], grad_state_i.narrow(1, 0, dh));
        at::mm_out(grad_phi_k_i, values[b][h], grad_state_i.t());
        HeadFeaturesBackward(grad_phi_q_i, phi_q[b][h], q[b][h], wn, n2, nullptr, grad_q_i);
        HeadFeaturesBackward(grad_phi_k_i, phi_k[b][h], k[b][h], wn, n2, keep_data + b * key_length,
                             grad_k_i);
      }
    });
    return {grad_q, grad_k, grad_v, {}, {}, {}, {}};
  }
};

}  // namespace

torch::Tensor FusedFavor(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& directions, bool hyperbolic,
                         const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(FusedFavorTakes(q) && FusedFavorTakes(k) && FusedFavorTakes(v),
              "FusedFavor runs on float32 CPU tensors");
  TORCH_CHECK(
      q.dim() == 4 && k.dim() == 4 && k.sizes() == v.sizes() && q.size(0) == k.size(0) &&
          q.size(1) == k.size(1) && q.size(3) == k.size(3) && directions.size(1) == q.size(3),
      "FusedFavor expects q (B, H, Lq, Dh), k and v (B, H, Lk, Dh), directions (M, Dh); got ",
      q.sizes(), ", ", k.sizes(), ", ", v.sizes(), ", ", directions.sizes());
  const double normaliser = std::pow(static_cast<double>(q.size(3)), -0.25);
  auto w = directions.to(at::kFloat);
  if (hyperbolic) w = at::cat({w, -w}, 0);
  const auto wn = (w * normaliser).contiguous();
  // phi's 1/sqrt(M') (M' features: 2M for hyperbolic), as a shift of the exponent.
  const double log_scale = -0.5 * std::log(static_cast<double>(wn.size(0)));
  const auto keep = key_padding_mask.defined()
                        ? key_padding_mask.logical_not().to(at::kFloat).contiguous()
                        : at::ones({k.size(0), k.size(2)}, q.options());
  return FusedFavorFunction::apply(q, k, v, wn, keep, normaliser * normaliser, log_scale);
}

bool FusedFavorTakes(const torch::Tensor& x) {
  return x.scalar_type() == at::kFloat && x.device().is_cpu();
}

}  // namespace attnsweep
