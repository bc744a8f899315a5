#include "experiments/models/gru_sequence.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

namespace attnsweep {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// The rows of one step are independent: split between threads in pieces this large.
constexpr int64_t kRowsPerTask = 8;

class GruSequenceFunction : public torch::autograd::Function<GruSequenceFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w_ih, const torch::Tensor& w_hh,
                               const torch::Tensor& b_ih, const torch::Tensor& b_hh) {
    const int64_t batch = x.size(0), length = x.size(1), width = x.size(2), hidden = w_hh.size(1);
    // Time-major: each step's rows are one contiguous block.
    const auto x_steps = x.transpose(0, 1).contiguous();
    const auto input_gates = at::addmm(b_ih, x_steps.view({length * batch, width}), w_ih.t())
                                 .view({length, batch, 3 * hidden});
    auto out = at::empty({length, batch, hidden}, x.options());
    // Per step and row: r, z, n and W_hn h + b_hn, which the backward needs.
    auto gates = at::empty({length, batch, 4 * hidden}, x.options());
    auto hidden_gates = at::empty({batch, 3 * hidden}, x.options());
    const auto zero = at::zeros({batch, hidden}, x.options());
    const auto w_hh_t = w_hh.t();
    for (int64_t t = 0; t < length; ++t) {
      const auto previous = t == 0 ? zero : out[t - 1];
      at::addmm_out(hidden_gates, b_hh, previous, w_hh_t);
      const float* gi = input_gates[t].data_ptr<float>();
      const float* gh = hidden_gates.data_ptr<float>();
      const float* h = previous.data_ptr<float>();
      float* g = gates[t].data_ptr<float>();
      float* o = out[t].data_ptr<float>();
      at::parallel_for(0, batch, kRowsPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          const float* gi_b = gi + b * 3 * hidden;
          const float* gh_b = gh + b * 3 * hidden;
          float* g_b = g + b * 4 * hidden;
          for (int64_t j = 0; j < hidden; ++j) {
            const float r = Sigmoid(gi_b[j] + gh_b[j]);
            const float z = Sigmoid(gi_b[hidden + j] + gh_b[hidden + j]);
            const float hn = gh_b[2 * hidden + j];
            const float n = std::tanh(gi_b[2 * hidden + j] + r * hn);
            g_b[j] = r;
            g_b[hidden + j] = z;
            g_b[2 * hidden + j] = n;
            g_b[3 * hidden + j] = hn;
            o[b * hidden + j] = (1.0f - z) * n + z * h[b * hidden + j];
          }
        }
      });
    }
    ctx->save_for_backward({x_steps, w_ih, w_hh, out, gates});
    return out.transpose(0, 1);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x_steps = saved[0], &w_ih = saved[1], &w_hh = saved[2], &out = saved[3],
               &gates = saved[4];
    const int64_t length = x_steps.size(0), batch = x_steps.size(1), width = x_steps.size(2),
                  hidden = w_hh.size(1);
    const auto grad_out = grad_outputs[0].transpose(0, 1).contiguous();  // (L, B, H)
    // Gradients of each step's input and hidden pre-activations (r, z, n parts).
    auto grad_input_gates = at::empty({length, batch, 3 * hidden}, out.options());
    auto grad_hidden_gates = at::empty({length, batch, 3 * hidden}, out.options());
    // The gradient reaching step t's hidden state from step t + 1, and the part through z.
    auto carried = at::zeros({batch, hidden}, out.options());
    auto direct = at::empty({batch, hidden}, out.options());
    const auto zero = at::zeros({batch, hidden}, out.options());
    for (int64_t t = length - 1; t >= 0; --t) {
      const float* h = (t == 0 ? zero : out[t - 1]).data_ptr<float>();
      const float* g = gates[t].data_ptr<float>();
      const float* d_out = grad_out[t].data_ptr<float>();
      const float* d_carried = carried.data_ptr<float>();
      float* d_direct = direct.data_ptr<float>();
      float* d_gi = grad_input_gates[t].data_ptr<float>();
      float* d_gh = grad_hidden_gates[t].data_ptr<float>();
      at::parallel_for(0, batch, kRowsPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          const float* g_b = g + b * 4 * hidden;
          float* d_gi_b = d_gi + b * 3 * hidden;
          float* d_gh_b = d_gh + b * 3 * hidden;
          for (int64_t j = 0; j < hidden; ++j) {
            const int64_t i = b * hidden + j;
            const float r = g_b[j], z = g_b[hidden + j], n = g_b[2 * hidden + j],
                        hn = g_b[3 * hidden + j];
            const float d_h = d_out[i] + d_carried[i];
            const float d_n = d_h * (1.0f - z) * (1.0f - n * n);
            const float d_z = d_h * (h[i] - n) * z * (1.0f - z);
            const float d_r = d_n * hn * r * (1.0f - r);
            d_direct[i] = d_h * z;
            d_gi_b[j] = d_r;
            d_gi_b[hidden + j] = d_z;
            d_gi_b[2 * hidden + j] = d_n;
            d_gh_b[j] = d_r;
            d_gh_b[hidden + j] = d_z;
            d_gh_b[2 * hidden + j] = d_n * r;
          }
        }
      });
      at::addmm_out(carried, direct, grad_hidden_gates[t], w_hh);
    }
    const auto rows_gi = grad_input_gates.view({length * batch, 3 * hidden});
    const auto rows_gh = grad_hidden_gates.view({length * batch, 3 * hidden});
    // Each step's previous hidden state: 0, then the outputs but the last.
    const auto previous =
        at::cat({zero.unsqueeze(0), out.slice(0, 0, length - 1)}).view({length * batch, hidden});
    auto grad_x = at::mm(rows_gi, w_ih).view({length, batch, width}).transpose(0, 1);
    return {grad_x, at::mm(rows_gi.t(), x_steps.view({length * batch, width})),
            at::mm(rows_gh.t(), previous), rows_gi.sum(0), rows_gh.sum(0)};
  }
};

}  // namespace

torch::Tensor GruSequence(const torch::Tensor& x, const torch::Tensor& w_ih,
                          const torch::Tensor& w_hh, const torch::Tensor& b_ih,
                          const torch::Tensor& b_hh) {
  TORCH_CHECK(GruSequenceTakes(x), "GruSequence runs on float32 CPU tensors");
  TORCH_CHECK(x.dim() == 3 && x.size(1) > 0, "GruSequence takes (B, L, D) with L > 0");
  return GruSequenceFunction::apply(x, w_ih.contiguous(), w_hh.contiguous(), b_ih, b_hh);
}

bool GruSequenceTakes(const torch::Tensor& x) {
  return x.scalar_type() == at::kFloat && x.device().is_cpu();
}

}  // namespace attnsweep
