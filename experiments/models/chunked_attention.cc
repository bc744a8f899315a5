#include "experiments/models/chunked_attention.h"

#include <nlohmann/json.hpp>

#include <limits>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

namespace attnsweep {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Blocks of [start, end) over a length.
template <typename Body>
void ForEachBlock(int64_t length, int64_t block, Body body) {
  for (int64_t start = 0; start < length; start += block)
    body(start, std::min(length, start + block));
}

class ChunkedAttentionFunction : public torch::autograd::Function<ChunkedAttentionFunction> {
 public:
  // key_bias: (B, 1, 1, L), 0 for real keys and -inf for padded ones.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& key_bias,
                               int64_t block) {
    const int64_t length = q.size(2), key_length = k.size(2);
    auto out = at::empty_like(q);
    auto lse = at::empty({q.size(0), q.size(1), length, 1}, q.options());
    const double neg_inf = -std::numeric_limits<double>::infinity();
    ForEachBlock(length, block, [&](int64_t qs, int64_t qe) {
      const auto qb = q.slice(2, qs, qe);
      auto running_max = at::full({q.size(0), q.size(1), qe - qs, 1}, neg_inf, q.options());
      auto running_sum = at::zeros_like(running_max);
      auto acc = at::zeros({q.size(0), q.size(1), qe - qs, q.size(3)}, q.options());
      ForEachBlock(key_length, block, [&](int64_t ks, int64_t ke) {
        auto scores = at::matmul(qb, k.slice(2, ks, ke).transpose(-2, -1));
        scores.add_(key_bias.slice(3, ks, ke));
        const auto new_max = at::maximum(running_max, std::get<0>(scores.max(-1, true)));
        // A row that has seen only padded keys has max -inf: shift by 0 there, not by -inf.
        const auto shift = at::where(at::isinf(new_max), at::zeros_like(new_max), new_max);
        scores.sub_(shift).exp_();
        const auto correction = (running_max - shift).exp_();
        running_sum.mul_(correction).add_(scores.sum(-1, true));
        acc.mul_(correction).add_(at::matmul(scores, v.slice(2, ks, ke)));
        running_max = new_max;
      });
      out.slice(2, qs, qe).copy_(acc.div_(running_sum));
      const auto shift =
          at::where(at::isinf(running_max), at::zeros_like(running_max), running_max);
      lse.slice(2, qs, qe).copy_(shift + running_sum.log());
    });
    ctx->save_for_backward({q, k, v, key_bias, out, lse});
    ctx->saved_data["block"] = block;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &key_bias = saved[3], &out = saved[4],
               &lse = saved[5];
    const int64_t block = ctx->saved_data["block"].toInt();
    const auto grad_out = grad_outputs[0].contiguous();
    // D_i = sum_j P_ij dP_ij = dO_i . O_i, the softmax backward's row term.
    const auto row_term = (grad_out * out).sum(-1, true);
    auto grad_q = at::zeros_like(q), grad_k = at::zeros_like(k), grad_v = at::zeros_like(v);
    ForEachBlock(q.size(2), block, [&](int64_t qs, int64_t qe) {
      const auto qb = q.slice(2, qs, qe), dob = grad_out.slice(2, qs, qe);
      const auto lseb = lse.slice(2, qs, qe), rowb = row_term.slice(2, qs, qe);
      auto grad_qb = grad_q.slice(2, qs, qe);
      ForEachBlock(k.size(2), block, [&](int64_t ks, int64_t ke) {
        const auto kb = k.slice(2, ks, ke), vb = v.slice(2, ks, ke);
        auto p = at::matmul(qb, kb.transpose(-2, -1));
        p.add_(key_bias.slice(3, ks, ke)).sub_(lseb).exp_();  // the block of softmax weights
        grad_v.slice(2, ks, ke).add_(at::matmul(p.transpose(-2, -1), dob));
        auto ds = at::matmul(dob, vb.transpose(-2, -1));
        ds.sub_(rowb).mul_(p);
        grad_qb.add_(at::matmul(ds, kb));
        grad_k.slice(2, ks, ke).add_(at::matmul(ds.transpose(-2, -1), qb));
      });
    });
    return {grad_q, grad_k, grad_v, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ChunkedExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, const torch::Tensor& key_padding_mask,
                                    int64_t block) {
  TORCH_CHECK(block > 0, "block must be positive");
  auto key_bias = at::zeros({k.size(0), 1, 1, k.size(2)}, q.options());
  if (key_padding_mask.defined()) {
    key_bias.masked_fill_(key_padding_mask.view({k.size(0), 1, 1, k.size(2)}),
                          -std::numeric_limits<float>::infinity());
  }
  return ChunkedAttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), key_bias,
                                         block);
}

ChunkedAttentionImpl::ChunkedAttentionImpl(const ChunkedAttentionOptions& options_)
    : options(options_) {
  reset();
}

void ChunkedAttentionImpl::reset() { Register(*this, options.d_model(), options.heads()); }

torch::Tensor ChunkedAttentionImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const QkvHeads heads = Split(x);
  return Merge(ChunkedExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.block()));
}

VariantDefinition ChunkedSoftmaxVariant() {
  VariantDefinition variant;
  variant.name = "softmax_chunked";
  variant.help = "exact softmax attention over blocks of queries and keys: memory linear in L";
  variant.keys = {
      ParamSpec::Int("model.chunked.block", ChunkedAttentionOptions(1, 1).block())
          .Range(1, 1 << 20)
          .Help("queries and keys per block of softmax_chunked"),
  };
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    return 4.0 * length * length * model.at("d_model").get<double>();
  };
  variant.make = [](const nlohmann::json& model, int64_t) {
    return std::make_shared<ChunkedAttentionImpl>(
        ChunkedAttentionOptions(model.at("d_model").get<int64_t>(),
                                model.at("heads").get<int64_t>())
            .block(model.at("chunked").at("block").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
