// Turning YAML scalars into typed, normalised JSON values according to the config schema.
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "experiments/config_schema.h"
#include "experiments/grid_issue.h"

namespace attnsweep {

SourceMark MarkOf(const YAML::Node& node);

// The value of `node` as `spec`'s type: integers as int64, numbers as double (so 5, 5.0, 5e0 are
// one value), booleans, strings. Checks the choices and the range. On failure returns nullopt and
// sets `error` to a message that names the key and what is allowed.
std::optional<nlohmann::json> NormalizeValue(const YAML::Node& node, const ParamSpec& spec,
                                             std::string* error);

// Parses text the way NormalizeValue parses a scalar; for schema defaults.
nlohmann::json ParseDefault(const ParamSpec& spec);

}  // namespace attnsweep
