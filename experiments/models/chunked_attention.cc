#include "experiments/models/chunked_attention.h"

#include "experiments/models/attention_factory.h"
#include "experiments/models/fused_attention_kernel.h"
#include "experiments/models/softmax_attention.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/version.h>

namespace attnsweep {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Query rows per unit of parallel work in the forward pass: enough that a head's keys, transposed
// once per unit, are used many times.
constexpr int64_t kQueriesPerTask = 512;

// The head `index` of (B, H, L, D) contiguous tensors, as the kernel sees it.
HeadInputs Head(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                const torch::Tensor& key_padded, bool causal, int64_t index) {
  const int64_t heads = q.size(1), lq = q.size(2), lk = k.size(2), dim = q.size(3);
  HeadInputs head;
  head.q = q.data_ptr<float>() + index * lq * dim;
  head.k = k.data_ptr<float>() + index * lk * dim;
  head.v = v.data_ptr<float>() + index * lk * dim;
  head.key_padded =
      key_padded.numel() > 0 ? key_padded.data_ptr<uint8_t>() + (index / heads) * lk : nullptr;
  head.query_length = lq;
  head.key_length = lk;
  head.head_dim = dim;
  head.causal = causal;
  return head;
}

class FusedAttentionFunction : public torch::autograd::Function<FusedAttentionFunction> {
 public:
  // key_padded: (B, Lk) uint8 with 1 at padded keys, or empty for none (an autograd function's
  // tensor arguments must be defined). causal: query i sees keys 0..i only.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& key_padded,
                               int64_t block, bool causal) {
    const int64_t heads = q.size(0) * q.size(1), lq = q.size(2), lk = k.size(2), dim = q.size(3);
    auto out = at::empty_like(q);
    auto lse = at::empty({q.size(0), q.size(1), lq}, q.options());
    const int64_t chunks = (lq + kQueriesPerTask - 1) / kQueriesPerTask;
    at::parallel_for(0, heads * chunks, 1, [&](int64_t begin, int64_t end) {
      // A thread's tasks are consecutive, so mostly chunks of one head: its keys are transposed
      // once for them, not once per chunk (16 % of the forward's time at L 4096, d_head 64), in a
      // buffer of the thread's own (one for every head cost more in page faults than it saved at
      // d_head 16 and 32).
      std::vector<float> keys_transposed(static_cast<size_t>(lk * dim));
      int64_t transposed_head = -1;
      for (int64_t task = begin; task < end; ++task) {
        const int64_t index = task / chunks;
        const int64_t first = (task % chunks) * kQueriesPerTask;
        HeadInputs head = Head(q, k, v, key_padded, causal, index);
        if (index != transposed_head) {
          TransposeKeysInBlocks(head.k, lk, dim, block, keys_transposed.data());
          transposed_head = index;
        }
        head.keys_transposed = keys_transposed.data();
        head.q += first * dim;
        head.query_length = std::min(kQueriesPerTask, lq - first);
        head.query_offset = first;
        FusedAttentionForward(head, block, out.data_ptr<float>() + (index * lq + first) * dim,
                              lse.data_ptr<float>() + index * lq + first);
      }
    });
    ctx->save_for_backward({q, k, v, out, lse, key_padded});
    ctx->saved_data["block"] = block;
    ctx->saved_data["causal"] = causal;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &out = saved[3], &lse = saved[4],
               &key_padded = saved[5];
    const int64_t block = ctx->saved_data["block"].toInt();
    const bool causal = ctx->saved_data["causal"].toBool();
    const auto grad_out = grad_outputs[0].contiguous();
    auto grad_q = at::empty_like(q), grad_k = at::empty_like(k), grad_v = at::empty_like(v);
    const int64_t lq = q.size(2), lk = k.size(2), dim = q.size(3);
    at::parallel_for(0, q.size(0) * q.size(1), 1, [&](int64_t begin, int64_t end) {
      for (int64_t index = begin; index < end; ++index) {
        FusedAttentionBackward(Head(q, k, v, key_padded, causal, index), block,
                               out.data_ptr<float>() + index * lq * dim,
                               lse.data_ptr<float>() + index * lq,
                               grad_out.data_ptr<float>() + index * lq * dim,
                               grad_q.data_ptr<float>() + index * lq * dim,
                               grad_k.data_ptr<float>() + index * lk * dim,
                               grad_v.data_ptr<float>() + index * lk * dim);
      }
    });
    return {grad_q, grad_k, grad_v, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ChunkedExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                    const torch::Tensor& v, const torch::Tensor& key_padding_mask,
                                    int64_t block, bool causal) {
  TORCH_CHECK(block > 0, "block must be positive");
  TORCH_CHECK(q.scalar_type() == at::kFloat && q.device().is_cpu(),
              "softmax_chunked runs on float32 CPU tensors");
  const torch::Tensor key_padded = key_padding_mask.defined()
                                       ? key_padding_mask.to(at::kByte).contiguous()
                                       : at::empty({0}, q.options().dtype(at::kByte));
  return FusedAttentionFunction::apply(q.contiguous(), k.contiguous(), v.contiguous(), key_padded,
                                       block, causal);
}

namespace {
bool OurKernelTakes(const torch::Tensor& q) {
  return q.scalar_type() == at::kFloat && q.device().is_cpu();
}

// Where our CPU kernel does not run (a GPU, bf16): LibTorch's own fused attention from 2.1 on
// (flash or memory-efficient kernels on CUDA, which no more hold the L x L weights than ours; 2.1
// is the first to take q's scale, here 1: q comes scaled), before it the textbook three passes.
torch::Tensor LibTorchExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const torch::Tensor& key_padding_mask,
                                     bool causal) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
  c10::optional<at::Tensor> attend;  // (B, 1, 1, Lk) or (B, 1, Lq, Lk): true where visible
  if (key_padding_mask.defined()) {
    attend = key_padding_mask.logical_not().view(
        {key_padding_mask.size(0), 1, 1, key_padding_mask.size(1)});
    // is_causal cannot be combined with a mask: the causal one is folded into it.
    if (causal) {
      *attend = attend->logical_and(at::ones({q.size(2), k.size(2)}, attend->options())
                                        .tril()
                                        .view({1, 1, q.size(2), k.size(2)}));
    }
  }
  return at::scaled_dot_product_attention(q, k, v, attend, /*dropout_p=*/0.0,
                                          /*is_causal=*/causal && !attend.has_value(),
                                          /*scale=*/1.0);
#else
  return ExactAttention(q, k, v, key_padding_mask, 0.0, false, causal);
#endif
}
}  // namespace

torch::Tensor FastExactAttention(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& key_padding_mask) {
  if (OurKernelTakes(q)) {
    return ChunkedExactAttention(q, k, v, key_padding_mask, ChunkedAttentionOptions(1, 1).block());
  }
  return LibTorchExactAttention(q, k, v, key_padding_mask, /*causal=*/false);
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
  if (!OurKernelTakes(heads.q)) {
    return Merge(
        LibTorchExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.causal()));
  }
  return Merge(ChunkedExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.block(),
                                     options.causal()));
}

LayerBuilder ChunkedSoftmaxLayerBuilder() {
  return [](const nlohmann::json& model, int64_t) {
    return std::make_shared<ChunkedAttentionImpl>(
        ChunkedAttentionOptions(model.at("d_model").get<int64_t>(),
                                model.at("heads").get<int64_t>())
            .block(model.at("chunked").at("block").get<int64_t>())
            .causal(IsCausal(model)));
  };
}

}  // namespace attnsweep
