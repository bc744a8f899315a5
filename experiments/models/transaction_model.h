// What every model of the train task is: a module from a batch of transaction windows to one logit
// per customer. The sequence classifier of an attention variant is one (transaction_classifier.h);
// a baseline that reads the windows another way (aggregate features) is another.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "experiments/data/transaction_batch.h"

namespace attnsweep {

class TransactionModelImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const TransactionBatch& batch) = 0;
};

}  // namespace attnsweep
