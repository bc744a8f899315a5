#include "experiments/models/softmax_attention.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "experiments/models/fused_attention_kernel.h"

namespace attnsweep {

SoftmaxAttentionImpl::SoftmaxAttentionImpl(const SoftmaxAttentionOptions& options_)
    : options(options_) {
  reset();
}

void SoftmaxAttentionImpl::reset() { Register(*this, options.d_model(), options.heads()); }

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per unit of parallel work: a few hundred thousand scores.
int64_t RowsPerTask(int64_t cols) {
  return std::max<int64_t>(1, (1 << 18) / std::max<int64_t>(1, cols));
}

// softmax over the last dimension of (B, H, Lq, Lk) scores, written over them: the weights take
// the scores' memory instead of a second L x L tensor, and the key mask is applied in the same
// pass. The scores are an intermediate nobody else reads (the matmul that made them needs only
// q and k for its backward), so overwriting them is safe.
class InPlaceMaskedSoftmax : public torch::autograd::Function<InPlaceMaskedSoftmax> {
 public:
  // key_padded: (B, Lk) uint8 with 1 at padded keys, or empty for none (an autograd function's
  // tensor arguments must be defined).
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor scores,
                               const torch::Tensor& key_padded) {
    const int64_t batch = scores.size(0), lk = scores.size(3);
    const int64_t rows_per_batch = scores.numel() / batch / lk;
    float* data = scores.data_ptr<float>();
    at::parallel_for(0, batch * rows_per_batch, RowsPerTask(lk), [&](int64_t begin, int64_t end) {
      // A range may span batches; each gets its own mask.
      for (int64_t row = begin; row < end;) {
        const int64_t b = row / rows_per_batch;
        const int64_t stop = std::min(end, (b + 1) * rows_per_batch);
        SoftmaxRowsInPlace(
            data + row * lk, stop - row, lk,
            key_padded.numel() > 0 ? key_padded.data_ptr<uint8_t>() + b * lk : nullptr);
        row = stop;
      }
    });
    ctx->mark_dirty({scores});
    ctx->save_for_backward({scores});
    return scores;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const torch::Tensor weights = ctx->get_saved_variables()[0];
    const torch::Tensor grad_weights = grad_outputs[0].contiguous();
    auto grad_scores = at::empty_like(weights);
    const int64_t lk = weights.size(3), rows = weights.numel() / lk;
    at::parallel_for(0, rows, RowsPerTask(lk), [&](int64_t begin, int64_t end) {
      SoftmaxRowsBackward(weights.data_ptr<float>() + begin * lk,
                          grad_weights.data_ptr<float>() + begin * lk, end - begin, lk,
                          grad_scores.data_ptr<float>() + begin * lk);
    });
    return {grad_scores, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ExactAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& key_padding_mask, double dropout, bool training) {
  auto scores = at::matmul(q, k.transpose(-2, -1)).contiguous();  // (B, H, L, L)
  torch::Tensor weights;
  if (scores.scalar_type() == at::kFloat && scores.device().is_cpu()) {
    const torch::Tensor key_padded = key_padding_mask.defined()
                                         ? key_padding_mask.to(at::kByte).contiguous()
                                         : at::empty({0}, scores.options().dtype(at::kByte));
    weights = InPlaceMaskedSoftmax::apply(scores, key_padded);
  } else {
    if (key_padding_mask.defined()) {
      scores.masked_fill_(key_padding_mask.view({q.size(0), 1, 1, k.size(2)}),
                          -std::numeric_limits<float>::infinity());
    }
    weights = at::softmax(scores, -1);
  }
  if (training && dropout > 0) weights = at::dropout(weights, dropout, true);
  return at::matmul(weights, v);  // (B, H, L, Dh)
}

torch::Tensor SoftmaxAttentionImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const QkvHeads heads = Split(x);
  return Merge(ExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.dropout(),
                              is_training()));
}

VariantDefinition SoftmaxVariant() {
  VariantDefinition variant;
  variant.name = "softmax";
  variant.help = "exact softmax attention, one L x L score matrix per head";
  // QK^T and the weighted sum of V: two L x L x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    return 4.0 * length * length * model.at("d_model").get<double>();
  };
  variant.make = [](const nlohmann::json& model, int64_t) {
    // No dropout on the attention weights: no other variant has weights to drop, the encoder's
    // dropout regularises them all alike, and drawing a mask per L x L weight took half of a
    // training epoch at max_len 256 (docs/train.md).
    return std::make_shared<SoftmaxAttentionImpl>(SoftmaxAttentionOptions(
        model.at("d_model").get<int64_t>(), model.at("heads").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
