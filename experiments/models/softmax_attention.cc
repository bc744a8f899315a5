#include "experiments/models/softmax_attention.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace attnsweep {

SoftmaxAttentionImpl::SoftmaxAttentionImpl(const SoftmaxAttentionOptions& options_)
    : options(options_) {
  reset();
}

void SoftmaxAttentionImpl::reset() {
  TORCH_CHECK(options.d_model() > 0 && options.heads() > 0, "d_model and heads must be positive");
  TORCH_CHECK(options.d_model() % options.heads() == 0, "d_model (", options.d_model(),
              ") must be a multiple of heads (", options.heads(), ")");
  qkv_projection = register_module(
      "qkv_projection",
      torch::nn::Linear(torch::nn::LinearOptions(options.d_model(), 3 * options.d_model())));
  output_projection = register_module(
      "output_projection",
      torch::nn::Linear(torch::nn::LinearOptions(options.d_model(), options.d_model())));
}

torch::Tensor SoftmaxAttentionImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == options.d_model(), "expected input (B, L, ",
              options.d_model(), "), got ", x.sizes());
  const int64_t batch = x.size(0), length = x.size(1);
  const int64_t heads = options.heads(), head_dim = options.d_model() / heads;

  // (B, L, 3, H, Dh) -> three (B, H, L, Dh)
  auto qkv =
      qkv_projection->forward(x).view({batch, length, 3, heads, head_dim}).permute({2, 0, 3, 1, 4});
  // Scaling q (L x Dh) is cheaper than scaling the L x L scores.
  auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto k = qkv[1];
  auto v = qkv[2];

  auto scores = at::matmul(q, k.transpose(-2, -1));  // (B, H, L, L)
  if (key_padding_mask.defined()) {
    TORCH_CHECK(key_padding_mask.sizes() == at::IntArrayRef({batch, length}),
                "key_padding_mask must be (B, L) = (", batch, ", ", length, "), got ",
                key_padding_mask.sizes());
    scores.masked_fill_(key_padding_mask.view({batch, 1, 1, length}),
                        -std::numeric_limits<float>::infinity());
  }
  auto weights = at::softmax(scores, -1);
  if (is_training() && options.dropout() > 0)
    weights = at::dropout(weights, options.dropout(), true);
  auto context = at::matmul(weights, v);  // (B, H, L, Dh)
  return output_projection->forward(
      context.transpose(1, 2).reshape({batch, length, options.d_model()}));
}

}  // namespace attnsweep
