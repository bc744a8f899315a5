// Builds the attention variant a model config names (model.attention and its own keys).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "experiments/models/attention.h"

namespace attnsweep {

struct VariantDefinition;

// The registry entry model.attention names. Throws InvalidJobConfig for a name this build lacks.
const VariantDefinition& VariantOf(const nlohmann::json& model);

// Whether a model section asks for a causal layer: "causal": true, which the next_event task sets
// (it is no key of the grid).
bool IsCausal(const nlohmann::json& model);
// The model section with "causal": true.
nlohmann::json CausalModel(nlohmann::json model);

// `model` is the config's "model" section; `max_len` the longest input it will see. Throws
// InvalidJobConfig (experiments/job_contract.h) for a config the variant refuses.
std::shared_ptr<AttentionImpl> MakeAttention(const nlohmann::json& model, int64_t max_len);

}  // namespace attnsweep
