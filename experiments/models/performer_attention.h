// Performer (Choromanski et al. 2020), FAVOR+: softmax attention estimated with random features,
//   Attention(Q, K, V) ~ D^-1 phi(Q) (phi(K)^T V),  D = diag(phi(Q) phi(K)^T 1),
// in time and memory linear in L (no L x L matrix). Features are computed in fp32 whatever the
// model's dtype. Padded keys get phi(k) = 0 and stay out of the stabiliser, so padding never
// reaches the normaliser (the public implementations only zero V).
#pragma once

#include <string>

#include <ATen/core/Generator.h>
#include <torch/arg.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/models/performer_options.h"
#include "experiments/registry.h"

namespace attnsweep {

class PerformerAttentionImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit PerformerAttentionImpl(const PerformerAttentionOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;

  int64_t feature_count() const { return projection.size(0); }
  // Draw number `draw` from this module's seed: the same seed and draw give the same features.
  void DrawFeatures(int64_t draw);

  PerformerAttentionOptions options;
  int64_t seed = 0;  // taken from LibTorch's generator at construction
  // Buffers, so that whatever saves the module's state (a checkpoint, the best epoch's snapshot)
  // saves the features and where the redraw schedule stands with them, knowing nothing of
  // Performer.
  torch::Tensor projection;      // (M, d_head): the random directions w
  torch::Tensor draws;           // () int64: features drawn so far (1 after construction)
  torch::Tensor training_steps;  // () int64: training forward passes so far
};

TORCH_MODULE(PerformerAttention);

// M random directions in R^d (M x d), as the options say, from `generator`.
torch::Tensor DrawRandomFeatures(int64_t m, int64_t d, const std::string& sampling,
                                 const std::string& scaling, at::Generator generator);

// phi(x) for x (..., L, d) already multiplied by d^-1/4, without a stabiliser: the unbiased
// estimate of exp(x.y) is phi(x).phi(y). For tests and for reference.
torch::Tensor PerformerFeatures(const torch::Tensor& x, const torch::Tensor& w,
                                const std::string& kernel);

// FAVOR+ on (B, H, L, Dh) tensors, q and k unscaled (the d^-1/4 normaliser is applied here),
// with stabilised features; the key padding mask zeroes padded keys' features. The sequence is
// processed `chunk_rows` rows at a time (0: chunks of about 2 MiB of features), so no (B, H, L, M)
// tensor ever exists: beyond q, k, v and the output, its memory does not grow with L. causal:
// row i attends to keys 0..i, by prefix sums over chunks (0: 64 rows each).
torch::Tensor FavorAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& w, const std::string& kernel,
                             const torch::Tensor& key_padding_mask, int64_t chunk_rows = 0,
                             bool causal = false);

// How the registry builds Performer (FAVOR+) (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder PerformerLayerBuilder();

}  // namespace attnsweep
