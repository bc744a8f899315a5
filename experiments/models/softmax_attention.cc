#include "experiments/models/softmax_attention.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "experiments/memory/heap_tuning.h"
#include "experiments/models/attention_factory.h"
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

// Query rows per block: a block of scores (rows x Lk floats, 2 MB, a core's L2 here) stays in
// cache from the matmul that writes it, through the softmax, to the matmul that reads it. Not
// fewer than 32 rows: BLAS packs all of k (or v) for each product, which short blocks repeat too
// often (512 KB blocks were up to 2x slower at d_head 64).
int64_t RowsPerBlock(int64_t lq, int64_t lk) {
  return std::min(lq, std::max<int64_t>(32, (int64_t{1} << 19) / std::max<int64_t>(1, lk)));
}

// (rows x cols) floats at `data` as a tensor, without a copy.
torch::Tensor Matrix(float* data, int64_t rows, int64_t cols) {
  return at::from_blob(data, {rows, cols}, at::TensorOptions().dtype(at::kFloat));
}
// Rows [first_row, first_row + rows) of head `head` (batch * H + h) of a (B, H, L, D) tensor whose
// rows are contiguous (RowsContiguous), in place: q, k and v as the projections left them, views
// of one (B, L, 3 d_model) tensor, go to BLAS with their row stride instead of being copied.
torch::Tensor Matrix(const torch::Tensor& t, int64_t head, int64_t first_row, int64_t rows) {
  const int64_t heads = t.size(1);
  float* data = t.data_ptr<float>() + (head / heads) * t.stride(0) + (head % heads) * t.stride(1) +
                first_row * t.stride(2);
  return at::from_blob(data, {rows, t.size(3)}, {t.stride(2), t.stride(3)},
                       at::TensorOptions().dtype(at::kFloat));
}
torch::Tensor RowsContiguous(const torch::Tensor& t) {
  return t.stride(3) == 1 && t.stride(2) >= t.size(3) ? t : t.contiguous();
}

// softmax(q k^T, keys masked) v on (B, H, L, D) float CPU tensors, q already scaled, with one
// L x L matrix of weights per head (kept for the backward) that each block of query rows writes
// once: its scores, their softmax in place and their product with v follow each other while the
// block is in cache, where three whole-matrix passes (matmul, softmax, matmul) each went through
// memory. The backward goes block by block too and needs no L x L matrix of its own: dP, dS and
// the block's shares of dQ, dK and dV from one block of rows at a time.
class BlockedExactAttention : public torch::autograd::Function<BlockedExactAttention> {
 public:
  // key_padded: (B, Lk) uint8 with 1 at padded keys, or empty for none (an autograd function's
  // tensor arguments must be defined). causal: query i sees keys 0..i only; a block of rows
  // computes no scores right of its last row's diagonal.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& key_padded,
                               bool causal) {
    const int64_t heads = q.size(1), lq = q.size(2), lk = k.size(2);
    const int64_t rows = RowsPerBlock(lq, lk), blocks = (lq + rows - 1) / rows;
    // Under a causal mask a block's row is written, and read by the backward, up to the block's
    // last diagonal only: what lies right of it is never read, so it is not zeroed.
    auto weights = at::empty({q.size(0), heads, lq, lk}, q.options());
    AdviseHugePages(weights.data_ptr(), weights.nbytes());
    auto out = at::empty_like(q);
    at::parallel_for(0, q.size(0) * heads * blocks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t head = task / blocks, first = (task % blocks) * rows;
        const int64_t count = std::min(rows, lq - first);
        const int64_t cols = causal ? std::min(lk, first + count) : lk;
        auto p = Matrix(weights, head, first, count).narrow(1, 0, cols);
        at::mm_out(p, Matrix(q, head, first, count), Matrix(k, head, 0, cols).t());
        const uint8_t* flags = KeyFlags(key_padded, head / heads, lk);
        if (causal) {
          for (int64_t i = 0; i < count; ++i) {
            float* row = p.data_ptr<float>() + i * lk;
            const int64_t visible = std::min(lk, first + i + 1);
            SoftmaxRowsInPlace(row, 1, visible, flags);
            std::fill(row + visible, row + cols, 0.0f);
          }
        } else {
          SoftmaxRowsInPlace(p.data_ptr<float>(), count, lk, flags);
        }
        auto o = Matrix(out, head, first, count);
        at::mm_out(o, p, Matrix(v, head, 0, cols));
      }
    });
    ctx->save_for_backward({q, k, v, weights});
    ctx->saved_data["causal"] = causal;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &weights = saved[3];
    const bool causal = ctx->saved_data["causal"].toBool();
    const auto grad_out = RowsContiguous(grad_outputs[0]);
    const int64_t lq = q.size(2), lk = k.size(2);
    const int64_t rows = RowsPerBlock(lq, lk);
    auto grad_q = at::empty_like(q), grad_k = at::zeros_like(k), grad_v = at::zeros_like(v);
    // By head: a head's dK and dV gather from all its blocks of rows.
    at::parallel_for(0, q.size(0) * q.size(1), 1, [&](int64_t begin, int64_t end) {
      std::vector<float> buffer(static_cast<size_t>(rows * lk));
      for (int64_t head = begin; head < end; ++head) {
        for (int64_t first = 0; first < lq; first += rows) {
          const int64_t count = std::min(rows, lq - first);
          // Under a causal mask the block's weights right of its last row's diagonal are 0.
          const int64_t cols = causal ? std::min(lk, first + count) : lk;
          auto dk = Matrix(grad_k, head, 0, cols), dv = Matrix(grad_v, head, 0, cols);
          const auto k_head = Matrix(k, head, 0, cols), v_head = Matrix(v, head, 0, cols);
          const auto p = Matrix(weights, head, first, count).narrow(1, 0, cols);
          const auto d_out = Matrix(grad_out, head, first, count);
          const auto q_rows = Matrix(q, head, first, count);
          auto ds = Matrix(buffer.data(), count, cols);
          at::mm_out(ds, d_out, v_head.t());  // dP, then dS in place
          for (int64_t i = 0; i < count; ++i) {
            SoftmaxRowsBackward(p.data_ptr<float>() + i * lk, ds.data_ptr<float>() + i * cols, 1,
                                cols, ds.data_ptr<float>() + i * cols);
          }
          auto dq = Matrix(grad_q, head, first, count);
          at::mm_out(dq, ds, k_head);
          at::addmm_out(dk, dk, ds.t(), q_rows);
          at::addmm_out(dv, dv, p.t(), d_out);
        }
      }
    });
    return {grad_q, grad_k, grad_v, torch::Tensor(), torch::Tensor()};
  }

 private:
  static const uint8_t* KeyFlags(const torch::Tensor& key_padded, int64_t batch, int64_t lk) {
    return key_padded.numel() > 0 ? key_padded.data_ptr<uint8_t>() + batch * lk : nullptr;
  }
};

}  // namespace

torch::Tensor ExactAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& key_padding_mask, double dropout, bool training,
                             bool causal) {
  const bool dropping = training && dropout > 0;
  if (!dropping && q.scalar_type() == at::kFloat && q.device().is_cpu()) {
    const torch::Tensor key_padded = key_padding_mask.defined()
                                         ? key_padding_mask.to(at::kByte).contiguous()
                                         : at::empty({0}, q.options().dtype(at::kByte));
    return BlockedExactAttention::apply(RowsContiguous(q), RowsContiguous(k), RowsContiguous(v),
                                        key_padded, causal);
  }
  // Elsewhere (another device or type, or dropout on the weights): the textbook three passes.
  auto scores = at::matmul(q, k.transpose(-2, -1));  // (B, H, L, L)
  if (key_padding_mask.defined()) {
    scores.masked_fill_(key_padding_mask.view({q.size(0), 1, 1, k.size(2)}),
                        -std::numeric_limits<float>::infinity());
  }
  if (causal) {
    scores.masked_fill_(at::ones({q.size(2), k.size(2)}, q.options().dtype(at::kBool)).triu(1),
                        -std::numeric_limits<float>::infinity());
  }
  auto weights = at::softmax(scores, -1);
  if (dropping) weights = at::dropout(weights, dropout, true);
  return at::matmul(weights, v);  // (B, H, L, Dh)
}

torch::Tensor SoftmaxAttentionImpl::forward(const torch::Tensor& x,
                                            const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const QkvHeads heads = Split(x);
  return Merge(ExactAttention(heads.q, heads.k, heads.v, key_padding_mask, options.dropout(),
                              is_training(), options.causal()));
}

LayerBuilder SoftmaxLayerBuilder() {
  return [](const nlohmann::json& model, int64_t) {
    // No dropout on the attention weights: no other variant has weights to drop, the encoder's
    // dropout regularises them all alike, and drawing a mask per L x L weight took half of a
    // training epoch at max_len 256 (docs/train.md).
    return std::make_shared<SoftmaxAttentionImpl>(
        SoftmaxAttentionOptions(model.at("d_model").get<int64_t>(),
                                model.at("heads").get<int64_t>())
            .causal(IsCausal(model)));
  };
}

}  // namespace attnsweep
