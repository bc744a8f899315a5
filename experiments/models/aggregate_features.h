// The `aggregates` baseline: the hand-made features practitioners feed gradient boosting, here
// into a linear or small MLP classifier trained like every other model. Per customer window: for
// each merchant category and each transaction type, the share of events, ln(1 + count), and the
// mean and standard deviation of the (sign-log, scaled) amount; over the window, ln(1 + events),
// the amount's mean and standard deviation, and the mean ln(1 + gap in days). Nothing is ordered:
// the window's sequence structure is thrown away by construction.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/arg.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "experiments/models/aggregate_features_options.h"
#include "experiments/models/transaction_model.h"
#include "experiments/registry.h"

namespace attnsweep {

// (B, L) windows -> (B, features): the features above; padding contributes nothing.
torch::Tensor AggregateFeatures(const TransactionBatch& batch, int64_t mcc_vocabulary,
                                int64_t type_vocabulary);
int64_t AggregateFeatureCount(int64_t mcc_vocabulary, int64_t type_vocabulary);

class AggregateClassifierImpl : public TransactionModelImpl {
 public:
  explicit AggregateClassifierImpl(const AggregateClassifierOptions& options);
  torch::Tensor forward(const TransactionBatch& batch) override;

  AggregateClassifierOptions options;
  torch::nn::Sequential head{nullptr};
};

TORCH_MODULE(AggregateClassifier);

// How the registry builds the aggregate-features baseline (builtin_runners.cc attaches it; its
// description is in builtin_variants.cc).
WholeModelBuilder AggregatesModelBuilder();

}  // namespace attnsweep
