// Ranges written in place of a grid key's list of values: `{range: [start, stop]}`,
// `{range: [start, stop, step]}` and `{geom: [start, stop, factor]}`, as Hydra and W&B sweeps
// offer. Both ends are inclusive.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "experiments/config_schema.h"

namespace attnsweep {

// No grid axis a person means to run is this long; a range that yields more is a typo (a step of
// 0.001 for 0.1, say), and refusing it early keeps a huge grid from being built at all.
constexpr size_t kMaxRangeValues = 10000;

// The values `node`, a range or geom mapping written for `spec`'s key, stands for: each one
// normalised and checked exactly as NormalizeValue checks a written value. Only integer and float
// keys take ranges. On failure returns nullopt and sets `error` to one message that names the key
// and what to write; the caller reports it at the mapping's place.
std::optional<std::vector<nlohmann::json>> ExpandRange(const YAML::Node& node,
                                                       const ParamSpec& spec, std::string* error);

}  // namespace attnsweep
