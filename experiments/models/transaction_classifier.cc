#include "experiments/models/transaction_classifier.h"

#include <stdexcept>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "experiments/models/attention_factory.h"
#include "experiments/registry.h"

namespace attnsweep {

TransactionEmbeddingImpl::TransactionEmbeddingImpl(int64_t d_model, int64_t mcc_vocabulary,
                                                   int64_t type_vocabulary) {
  auto embedding = [&](const char* name, int64_t count) {
    return register_module(
        name, torch::nn::Embedding(torch::nn::EmbeddingOptions(count, d_model).padding_idx(0)));
  };
  mcc = embedding("mcc", mcc_vocabulary);
  type = embedding("type", type_vocabulary);
  weekday = embedding("weekday", 8);  // 1 + day mod 7; 0 is padding
  hour = embedding("hour", 25);       // 1 + hour
  numeric = register_module("numeric", torch::nn::Linear(2, d_model));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
}

torch::Tensor TransactionEmbeddingImpl::forward(const TransactionBatch& batch) {
  // The amount's sign-log reaches about 18, the gap's log about 6: brought near unit scale, so
  // they do not drown the embeddings in the sum.
  const auto scale = at::tensor({0.1f, 0.3f}, batch.numeric.options());
  return norm(mcc(batch.mcc) + type(batch.type) + weekday(batch.weekday) + hour(batch.hour) +
              numeric(batch.numeric * scale));
}

TransactionClassifierImpl::TransactionClassifierImpl(const nlohmann::json& model, int64_t max_len,
                                                     int64_t mcc_vocabulary,
                                                     int64_t type_vocabulary) {
  embedding = register_module("embedding", TransactionEmbedding(model.at("d_model").get<int64_t>(),
                                                                mcc_vocabulary, type_vocabulary));
  classifier = register_module("classifier", MakeClassifier(model, max_len));
}

torch::Tensor TransactionClassifierImpl::forward(const TransactionBatch& batch) {
  return classifier(embedding(batch), batch.padding_mask);
}

std::shared_ptr<TransactionModelImpl> MakeTransactionModel(const nlohmann::json& model,
                                                           int64_t max_len, int64_t mcc_vocabulary,
                                                           int64_t type_vocabulary) {
  const VariantDefinition& variant = VariantOf(model);
  if (variant.whole_model) {
    if (!variant.make_transaction_model) {
      throw std::logic_error("variant '" + variant.name + "' has no builder attached");
    }
    return variant.make_transaction_model(model, mcc_vocabulary, type_vocabulary);
  }
  return std::make_shared<TransactionClassifierImpl>(model, max_len, mcc_vocabulary,
                                                     type_vocabulary);
}

}  // namespace attnsweep
