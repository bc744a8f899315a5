// A resolved config (nested JSON) read by dotted keys: "model.performer.features". Which keys tell
// a set of jobs apart is what tables group by and progress lines name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnsweep {

// A config as dotted keys and their values.
std::map<std::string, nlohmann::json> FlattenConfig(const nlohmann::json& config);

// The value of a dotted key in a config, or null.
nlohmann::json ConfigValue(const nlohmann::json& config, const std::string& dotted_key);

// Dotted keys whose value differs between the configs (a key some configs lack counts when the
// others disagree on it), sorted, seed and task aside: the model.attention first.
std::vector<std::string> VaryingConfigKeys(const std::vector<nlohmann::json>& configs);

// "performer, max_len=256, features=64, seed=2": the values of `keys` in a config (the variant
// bare, other keys by their last part), then its seed. What progress lines call a job, so that jobs
// that differ only in a variant's own key do not print the same line.
std::string JobLabel(const nlohmann::json& config, const std::vector<std::string>& keys);

}  // namespace attnsweep
