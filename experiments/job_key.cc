#include "experiments/job_key.h"

#include <nlohmann/json.hpp>

#include "experiments/base/sha256.h"

namespace attnsweep {

std::string CanonicalJson(const nlohmann::json& config) {
  // nlohmann::json keeps objects in a std::map, so dump() already sorts keys at every level.
  return config.dump();
}

std::string ComputeJobKey(const nlohmann::json& config, const std::string& data_fingerprint,
                          const nlohmann::json& early_stopping_rule) {
  Sha256 hasher;
  hasher.Update("attnsweep-job-key-v" + std::to_string(kJobKeyVersion) + "\n");
  hasher.Update(CanonicalJson(config));
  hasher.Update("\n");
  hasher.Update(data_fingerprint);
  if (!early_stopping_rule.is_null()) {
    hasher.Update("\nearly stopping ");
    hasher.Update(CanonicalJson(early_stopping_rule));
  }
  return hasher.HexDigest();
}

std::string ComputeJobKey(const nlohmann::json& config, const std::string& data_fingerprint) {
  return ComputeJobKey(config, data_fingerprint, nullptr);
}

}  // namespace attnsweep
