// Overrides from the command line, as Hydra's multirun takes them: `attnsweep run grid.yaml
// train.lr=0.01,0.03 model.attention=softmax,performer`. Each sets one key's values as an axis
// (replacing that key's axis, or adding one) in every experiment whose task reads the key; a
// value in braces is one grid value as the file writes it (`seed={range: [1, 5]}`), and a value
// in brackets one list (`bench.batch_size=[2,4]` is the axis 2, 4 as well). Problems name the
// override, never a line: it is not in the file.
#pragma once

#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace attnsweep {

struct GridOverride {
  std::string text;  // as given: "train.lr=0.01,0.03"
  std::string key;   // "train.lr"
  // The axis as a grid writes it (a sequence, or a {range: ...} map), in YAML: what it is parsed
  // into stays out of this header.
  std::string values_yaml;
};

// Parses one override; sets `problem` (and returns an override with no key) when it is not one.
GridOverride ParseGridOverride(const std::string& text, std::string* problem);

// Sets each override in the experiments of a loaded grid (`root`, as YAML::Load gave it) whose
// task reads its key. Returns the problems: an unknown key, a value the key does not take, a key
// no experiment reads, a key an experiment zips or searches (the override cannot replace one
// column of those).
std::vector<std::string> ApplyGridOverrides(YAML::Node& root,
                                            const std::vector<GridOverride>& overrides);

}  // namespace attnsweep
