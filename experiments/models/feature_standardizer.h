// Standardises the features a classifier's head reads, by the batch's statistics while training and
// their running averages while evaluating (batch normalisation without its own scale and shift: the
// head that follows is linear, so they would add nothing it cannot learn).
//
// Why: a customer's window pooled into one vector differs from the next customer's by a few per
// cent of a large common part. The head must first learn to amplify those
// differences; at the learning rates that train the encoder that took most of the epochs
// (validation AUC 0.53-0.64 after the first epoch of ten). Standardised, the differences are
// unit-sized from the first step (validation AUC 0.61-0.77 after one epoch, near its best by the
// fourth: docs/train.md). The aggregates baseline's features are not standardised this way: their
// rare categories' shares are zero in most of a batch, and batch statistics of them cost it 0.09
// test AUC.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/pimpl.h>

namespace attnsweep {

class FeatureStandardizerImpl : public torch::nn::Module {
 public:
  explicit FeatureStandardizerImpl(int64_t features);
  // (B, features) -> (B, features). A training batch of one customer has no spread to standardise
  // by: it is standardised by the running averages, as in evaluation.
  torch::Tensor forward(const torch::Tensor& features);

  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(FeatureStandardizer);

}  // namespace attnsweep
