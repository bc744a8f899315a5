// The query/key/value and output projections that the multi-head variants share, and the head
// reshaping around them.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace attnsweep {

struct QkvHeads {
  torch::Tensor q, k, v;  // each (B, H, L, Dh); q already scaled by 1/sqrt(Dh)
};

// (B, H, n, Dh) -> (B, n, H Dh): the heads side by side again.
torch::Tensor MergeHeads(const torch::Tensor& context);

// Registers `qkv_projection` (d_model -> 3 d_model) and `output_projection` on `owner`.
class MultiHeadProjections {
 public:
  void Register(torch::nn::Module& owner, int64_t d_model, int64_t heads);
  QkvHeads Split(const torch::Tensor& x);
  // Rows x (B, n, d_model) projected to `parts` consecutive parts of q | k | v (first_part 0 = q,
  // 1 = k, 2 = v), none scaled: (parts, B, H, n, Dh). Projecting only the rows and parts needed
  // lets a variant stream over the sequence without holding all of q, k, v.
  torch::Tensor Project(const torch::Tensor& x, int64_t first_part, int64_t parts);
  // (B, H, L, Dh) -> (B, L, d_model), then the output projection.
  torch::Tensor Merge(const torch::Tensor& context);

  torch::nn::Linear qkv_projection{nullptr};
  torch::nn::Linear output_projection{nullptr};

 private:
  int64_t d_model_ = 0, heads_ = 0;
};

}  // namespace attnsweep
