#include "experiments/models/multihead_projections.h"

#include <cmath>

#include <ATen/ATen.h>

#include "experiments/models/attention.h"

namespace attnsweep {

void CheckAttentionInput(const torch::Tensor& x, const torch::Tensor& key_padding_mask,
                         int64_t d_model) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == d_model, "expected input (B, L, ", d_model, "), got ",
              x.sizes());
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.dim() == 2 && key_padding_mask.size(0) == x.size(0) &&
                    key_padding_mask.size(1) == x.size(1),
                "key_padding_mask must be (B, L) = (", x.size(0), ", ", x.size(1), "), got ",
                key_padding_mask.sizes());
    TORCH_CHECK(key_padding_mask.scalar_type() == at::kBool, "key_padding_mask must be bool");
  }
}

void MultiHeadProjections::Register(torch::nn::Module& owner, int64_t d_model, int64_t heads) {
  TORCH_CHECK(d_model > 0 && heads > 0, "d_model and heads must be positive");
  TORCH_CHECK(d_model % heads == 0, "d_model (", d_model, ") must be a multiple of heads (", heads,
              ")");
  d_model_ = d_model;
  heads_ = heads;
  qkv_projection = owner.register_module(
      "qkv_projection", torch::nn::Linear(torch::nn::LinearOptions(d_model, 3 * d_model)));
  output_projection = owner.register_module(
      "output_projection", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model)));
}

QkvHeads MultiHeadProjections::Split(const torch::Tensor& x) {
  const auto qkv = Project(x, 0, 3);
  // Scaling q (L x Dh) is cheaper than scaling the L x L scores.
  const double head_dim = static_cast<double>(d_model_ / heads_);
  return {qkv[0] * (1.0 / std::sqrt(head_dim)), qkv[1], qkv[2]};
}

torch::Tensor MultiHeadProjections::Project(const torch::Tensor& x, int64_t first_part,
                                            int64_t parts) {
  TORCH_CHECK(first_part >= 0 && parts > 0 && first_part + parts <= 3,
              "no such q|k|v parts: ", first_part, " + ", parts);
  const int64_t batch = x.size(0), length = x.size(1), head_dim = d_model_ / heads_;
  const auto rows = [&](const torch::Tensor& t) {
    return t.narrow(0, first_part * d_model_, parts * d_model_);
  };
  const auto bias = qkv_projection->bias.defined() ? rows(qkv_projection->bias) : torch::Tensor();
  // (B, n, parts, H, Dh) -> (parts, B, H, n, Dh)
  return at::linear(x, rows(qkv_projection->weight), bias)
      .view({batch, length, parts, heads_, head_dim})
      .permute({2, 0, 3, 1, 4});
}

torch::Tensor MergeHeads(const torch::Tensor& context) {
  return context.transpose(1, 2).reshape(
      {context.size(0), context.size(2), context.size(1) * context.size(3)});
}

torch::Tensor MultiHeadProjections::Merge(const torch::Tensor& context) {
  return output_projection->forward(MergeHeads(context));
}

}  // namespace attnsweep
