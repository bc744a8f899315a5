// An experiment's `search:` section: values drawn at random for some keys, each sample crossed
// with every point of the experiment's grid (random search, as Optuna's and W&B's samplers do it):
//
//   search:
//     samples: 27        # how many
//     seed: 1            # the sampler's own seed (default 0); not the jobs' `seed`
//     train.lr: {loguniform: [0.0003, 0.1]}
//     model.dropout: {choice: [0.0, 0.1, 0.2]}
//
// Distributions: {uniform: [a, b]} and {loguniform: [a, b]} (0 < a) for number keys, {int: [a, b]}
// for integer keys (both ends included), {choice: [v, ...]} for any key. Every bound and choice is
// checked as a written value of its key is. Sample i of a key is drawn from (seed, key, i) alone:
// the same section gives the same samples on every machine, and adding, removing or reordering
// another key leaves a key's samples as they were.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "experiments/grid_issue.h"

namespace attnsweep {

// More samples than anyone tunes with; a larger number is a typo.
constexpr int64_t kMaxSearchSamples = 10000;

struct SampledValue {
  std::string key;
  nlohmann::json value;  // normalised as a written value of the key is
  SourceMark mark;       // the distribution it was drawn from
};

struct SearchSection {
  std::vector<std::vector<SampledValue>> samples;  // `samples` of them, one value per key each
  std::vector<GridIssue> errors;                   // with any, `samples` is empty
};

SearchSection ParseSearch(const YAML::Node& node);

}  // namespace attnsweep
