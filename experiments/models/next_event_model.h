// The next_event task's model: each event embedded as the classifier embeds it
// (TransactionEmbedding), a causal encoder of any variant that has a causal form, and three heads
// read at every position t: logits of event t + 1's category and type, and its log time gap
// ln(1 + days). The output at t depends on events 0..t only.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json_fwd.hpp>

#include "experiments/data/transaction_batch.h"
#include "experiments/models/encoder.h"
#include "experiments/models/transaction_classifier.h"

namespace attnsweep {

struct NextEventPredictions {
  at::Tensor category;  // (B, L, mcc vocabulary) logits
  at::Tensor type;      // (B, L, type vocabulary) logits
  at::Tensor log_gap;   // (B, L) ln(1 + days until the next event)
};

class NextEventModelImpl : public torch::nn::Module {
 public:
  // `model` is a config's model section; its variant must have a causal form (InvalidJobConfig
  // otherwise).
  NextEventModelImpl(const nlohmann::json& model, int64_t max_len, int64_t mcc_vocabulary,
                     int64_t type_vocabulary);
  NextEventPredictions forward(const TransactionBatch& batch);

  TransactionEmbedding embedding{nullptr};
  Encoder encoder{nullptr};
  torch::nn::Linear category_head{nullptr}, type_head{nullptr}, gap_head{nullptr};
};

TORCH_MODULE(NextEventModel);

}  // namespace attnsweep
