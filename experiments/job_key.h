// The identity of a job: the same resolved config (and the same data) is the same job in any batch.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace attnsweep {

// Bumped whenever the meaning of a config changes in a way its text does not show, so old results
// are not mistaken for new ones by --reuse.
constexpr int kJobKeyVersion = 1;

// Compact JSON with object keys sorted at every level and numbers in their shortest round-trip
// form.
std::string CanonicalJson(const nlohmann::json& config);

// SHA-256 hex of the key version, the canonical config and the data fingerprint, and, for a job an
// early-stopping rule may end (`scheduler:`), that rule: such a job is not the same job as one
// trained to the end. Without a rule the key is what it always was.
std::string ComputeJobKey(const nlohmann::json& config, const std::string& data_fingerprint);
std::string ComputeJobKey(const nlohmann::json& config, const std::string& data_fingerprint,
                          const nlohmann::json& early_stopping_rule);

}  // namespace attnsweep
