#include "experiments/models/next_event_model.h"

#include <nlohmann/json.hpp>

#include "experiments/models/attention_factory.h"

namespace attnsweep {

NextEventModelImpl::NextEventModelImpl(const nlohmann::json& model, int64_t max_len,
                                       int64_t mcc_vocabulary, int64_t type_vocabulary) {
  const nlohmann::json causal = CausalModel(model);
  const int64_t d_model = causal.at("d_model").get<int64_t>();
  embedding =
      register_module("embedding", TransactionEmbedding(d_model, mcc_vocabulary, type_vocabulary));
  encoder = register_module("encoder", Encoder(EncoderOptionsOf(causal, max_len),
                                               [&] { return MakeAttention(causal, max_len); }));
  category_head = register_module("category_head", torch::nn::Linear(d_model, mcc_vocabulary));
  type_head = register_module("type_head", torch::nn::Linear(d_model, type_vocabulary));
  gap_head = register_module("gap_head", torch::nn::Linear(d_model, 1));
}

NextEventPredictions NextEventModelImpl::forward(const TransactionBatch& batch) {
  const auto h = encoder(embedding(batch), batch.padding_mask);
  return {category_head(h), type_head(h), gap_head(h).squeeze(-1)};
}

}  // namespace attnsweep
