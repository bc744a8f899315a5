// The ∞-former (Martins et al. 2021, arXiv:2109.00301) as a sequence mixer for classification: the
// sequence is read in segments; within a segment, exact attention (the short-term memory); across
// segments, a long-term memory held as a continuous signal X(t) = B^T psi(t) on t in [0, 1], a
// fixed number N of Gaussian radial basis functions whose coefficients B are refitted by ridge
// regression after every segment. Queries read it by continuous attention: a Gaussian N(mu, s^2)
// over t per query, and the context V^T E[psi(t)] in closed form. Its cost per query depends on the
// segment length and N, never on how long the past is.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/attention.h"
#include "experiments/models/infinity_former_options.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/registry.h"

namespace attnsweep {

// Gaussian radial basis functions psi_j(t) = N(t; center_j, width_j^2) on [0, 1].
struct RbfBasis {
  at::Tensor centers;  // (N), double
  at::Tensor widths;   // (N), double
  int64_t size() const { return centers.size(0); }
};

// N functions split over `widths` (the first widths take one more when N does not divide evenly);
// each width's centers evenly spaced over [0, 1].
RbfBasis MakeRbfBasis(int64_t n, const std::vector<double>& widths);

// psi(t) for t (..., T): (..., T, N), in t's dtype.
at::Tensor EvaluateBasis(const RbfBasis& basis, const at::Tensor& t);

// E[psi_j(t)] under t ~ N(mu, variance), in closed form N(mu; center_j, width_j^2 + variance):
// mu and variance (..., 1) give (..., N).
at::Tensor ExpectedBasis(const RbfBasis& basis, const at::Tensor& mu, const at::Tensor& variance);

// Ridge regression of states X (B, T, d) on design F (B, T, N) with row weights W (B, T) (0 leaves
// a row out): B = (F^T W F + ridge I)^-1 F^T W X, (B, N, d). Solved in double.
at::Tensor FitCoefficients(const at::Tensor& design, const at::Tensor& states,
                           const at::Tensor& weights, double ridge);

// Mass of N(mu, variance) in each of `bins` equal intervals of [0, 1], averaged over queries with
// weight (B, Q) (all of a batch element's heads and real queries): mu, variance (B, H, Q, 1) give
// (B, bins), each row summing to 1 (uniform where no query had mass inside [0, 1]).
at::Tensor AttentionHistogram(const at::Tensor& mu, const at::Tensor& variance,
                              const at::Tensor& query_weights, int64_t bins);

// `count` locations in [0, 1] following each row of `histogram` (B, bins): its quantiles at
// (m + 1/2) / count, so they crowd where the mass is (deterministic inverse-CDF sampling). (B,
// count)
at::Tensor StickyLocations(const at::Tensor& histogram, int64_t count);

// The long-term memory of one forward pass: coefficients per batch element, refitted after each
// segment from the old signal (contracted into [0, tau]) and the segment's states (in [tau, 1]).
class LongTermMemory {
 public:
  LongTermMemory(const InfinityFormerOptions& options, const RbfBasis& basis);

  // Adds a segment's states (B, S, d) at its real positions (B, S) true where real. A batch element
  // with no real position keeps its memory. `histogram` (B, bins) or undefined: where the old
  // signal is sampled (sticky memories); evenly when undefined.
  void Update(const at::Tensor& states, const at::Tensor& real, const at::Tensor& histogram);

  // X(t) for t (B, T): (B, T, d). Zero for a batch element that holds nothing yet.
  at::Tensor Evaluate(const at::Tensor& t) const;

  bool empty() const { return !coefficients_.defined(); }
  const at::Tensor& coefficients() const { return coefficients_; }  // (B, N, d)
  const at::Tensor& holds() const { return holds_; }                // (B) bool: holds some state

 private:
  InfinityFormerOptions options_;
  RbfBasis basis_;
  at::Tensor coefficients_;  // (B, N, d), undefined before the first update
  at::Tensor holds_;         // (B) bool
};

// Where an update places a segment's states: its real positions (B, S) spread evenly over [tau, 1]
// for a batch element whose memory `held` (B) something (the past being contracted into [0, tau]),
// over [0, 1] for one that held nothing. (B, S) double; padded positions get -1.
at::Tensor NewStatePositions(const at::Tensor& real, const at::Tensor& held, double tau);

class InfinityFormerImpl : public AttentionImpl, public MultiHeadProjections {
 public:
  explicit InfinityFormerImpl(const InfinityFormerOptions& options);
  void reset();
  torch::Tensor forward(const torch::Tensor& x,
                        const torch::Tensor& key_padding_mask = {}) override;
  // recon_error: MemoryReconstructionError, not an estimate of softmax attention.
  std::optional<OwnError> ApproximationError(const torch::Tensor& x,
                                             const torch::Tensor& key_padding_mask) const override;

  InfinityFormerOptions options;
  RbfBasis basis;
  torch::nn::Linear memory_key{nullptr}, memory_value{nullptr}, memory_output{nullptr};
  // affine(scores) -> mu (through a sigmoid) and variance (through a softplus), scores over N.
  torch::nn::Linear location{nullptr}, spread{nullptr};
};

TORCH_MODULE(InfinityFormer);

// The memory's reconstruction error of states x (B, L, d) with padding mask (B, L) (undefined:
// none) after reading all of them segment by segment: ||X(t_i) - x_i|| / ||x_i|| over every real
// state, at the position the memory holds it. The approximation task's figure for this variant.
double MemoryReconstructionError(const InfinityFormerOptions& options, const at::Tensor& x,
                                 const at::Tensor& key_padding_mask);

// How the registry builds the ∞-former (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
LayerBuilder InfinityLayerBuilder();

}  // namespace attnsweep
