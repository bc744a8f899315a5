#include "experiments/job_key.h"

#include <nlohmann/json.hpp>

#include "experiments/base/sha256.h"

namespace attnsweep {

std::string CanonicalJson(const nlohmann::json& config) {
  // nlohmann::json keeps objects in a std::map, so dump() already sorts keys at every level.
  return config.dump();
}

std::string ComputeJobKey(const nlohmann::json& config, const std::string& data_fingerprint) {
  Sha256 hasher;
  hasher.Update("attnsweep-job-key-v" + std::to_string(kJobKeyVersion) + "\n");
  hasher.Update(CanonicalJson(config));
  hasher.Update("\n");
  hasher.Update(data_fingerprint);
  return hasher.HexDigest();
}

}  // namespace attnsweep
