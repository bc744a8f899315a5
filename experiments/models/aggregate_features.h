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

#include "experiments/models/transaction_model.h"
#include "experiments/registry.h"

namespace attnsweep {

struct AggregateClassifierOptions {
  AggregateClassifierOptions(int64_t mcc_vocabulary, int64_t type_vocabulary)
      : mcc_vocabulary_(mcc_vocabulary), type_vocabulary_(type_vocabulary) {}
  // Category and type indices run below these (0 is padding).
  TORCH_ARG(int64_t, mcc_vocabulary);
  TORCH_ARG(int64_t, type_vocabulary);
  // Width of the MLP's hidden layer; 0 for logistic regression on the features.
  TORCH_ARG(int64_t, hidden) = 64;
  TORCH_ARG(double, dropout) = 0.1;
};

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

// The registry entry of the aggregate-features baseline (builtins.cc lists it).
VariantDefinition AggregatesVariant();

}  // namespace attnsweep
