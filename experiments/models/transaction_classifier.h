// The gender classifier on transaction windows: each event's category, type, weekday and hour
// embedded, its amount and time gap projected, summed and normalised (TransactionEmbedding); then
// the sequence classifier (encoder of any attention variant, masked mean pooling, one logit).
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

// Transaction windows (B, L) -> hidden states (B, L, d_model). Vocabularies include the padding
// and unseen indices.
class TransactionEmbeddingImpl : public torch::nn::Module {
 public:
  TransactionEmbeddingImpl(int64_t d_model, int64_t mcc_vocabulary, int64_t type_vocabulary);
  torch::Tensor forward(const TransactionBatch& batch);

  torch::nn::Embedding mcc{nullptr}, type{nullptr}, weekday{nullptr}, hour{nullptr};
  torch::nn::Linear numeric{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

TORCH_MODULE(TransactionEmbedding);

class TransactionClassifierImpl : public torch::nn::Module {
 public:
  // `model` is a config's model section.
  TransactionClassifierImpl(const nlohmann::json& model, int64_t max_len, int64_t mcc_vocabulary,
                            int64_t type_vocabulary);
  // One logit per customer in the batch.
  torch::Tensor forward(const TransactionBatch& batch);

  TransactionEmbedding embedding{nullptr};
  SequenceClassifier classifier{nullptr};
};

TORCH_MODULE(TransactionClassifier);

}  // namespace attnsweep
