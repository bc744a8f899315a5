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

#include "experiments/data/transaction_batch.h"
#include "experiments/models/encoder.h"
#include "experiments/models/transaction_model.h"

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

class TransactionClassifierImpl : public TransactionModelImpl {
 public:
  // `model` is a config's model section.
  TransactionClassifierImpl(const nlohmann::json& model, int64_t max_len, int64_t mcc_vocabulary,
                            int64_t type_vocabulary);
  // One logit per customer in the batch.
  torch::Tensor forward(const TransactionBatch& batch) override;

  TransactionEmbedding embedding{nullptr};
  SequenceClassifier classifier{nullptr};
};

TORCH_MODULE(TransactionClassifier);

// The train task's model for a config's model section: the variant's own transaction model where
// it has one (a baseline such as aggregate features), else the sequence classifier around its
// attention. Throws InvalidJobConfig for an unknown variant.
std::shared_ptr<TransactionModelImpl> MakeTransactionModel(const nlohmann::json& model,
                                                           int64_t max_len, int64_t mcc_vocabulary,
                                                           int64_t type_vocabulary);

}  // namespace attnsweep
