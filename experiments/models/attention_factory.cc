#include "experiments/models/attention_factory.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/job_contract.h"
#include "experiments/registry.h"

namespace attnsweep {

const VariantDefinition& VariantOf(const nlohmann::json& model) {
  const std::string name = model.at("attention").get<std::string>();
  const VariantDefinition* variant = FindVariant(name);
  if (variant == nullptr) {
    throw InvalidJobConfig("no attention variant '" + name + "' in this build");
  }
  return *variant;
}

bool IsCausal(const nlohmann::json& model) { return model.value("causal", false); }

nlohmann::json CausalModel(nlohmann::json model) {
  model["causal"] = true;
  return model;
}

std::shared_ptr<AttentionImpl> MakeAttention(const nlohmann::json& model, int64_t max_len) {
  const VariantDefinition& variant = VariantOf(model);
  if (variant.whole_model) {
    throw InvalidJobConfig("'" + variant.name +
                           "' is a baseline of the train task with no attention layer");
  }
  if (!variant.make) {
    throw std::logic_error("variant '" + variant.name + "' has no builder attached");
  }
  if (IsCausal(model) && !variant.causal) {
    throw InvalidJobConfig("'" + variant.name + "' has no causal form" +
                           (variant.not_causal.empty() ? "" : ": " + variant.not_causal));
  }
  return variant.make(model, max_len);
}

}  // namespace attnsweep
