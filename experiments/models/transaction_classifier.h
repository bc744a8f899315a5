// The gender classifier on transaction windows: each event's category, type, weekday and hour
// embedded, its amount and time gap projected, summed and normalised; then the sequence classifier
// (encoder of any attention variant, masked mean pooling, one logit).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json_fwd.hpp>

#include "experiments/data/batches.h"
#include "experiments/models/encoder.h"

namespace attnsweep {

class TransactionClassifierImpl : public torch::nn::Module {
 public:
  // `model` is a config's model section; vocabularies include the padding and unseen indices.
  TransactionClassifierImpl(const nlohmann::json& model, int64_t max_len, int64_t mcc_vocabulary,
                            int64_t type_vocabulary);
  // One logit per customer in the batch.
  torch::Tensor forward(const TransactionBatch& batch);

  torch::nn::Embedding mcc{nullptr}, type{nullptr}, weekday{nullptr}, hour{nullptr};
  torch::nn::Linear numeric{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  SequenceClassifier classifier{nullptr};
};

TORCH_MODULE(TransactionClassifier);

}  // namespace attnsweep
