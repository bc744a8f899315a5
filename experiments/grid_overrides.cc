#include "experiments/grid_overrides.h"

#include <set>

#include <yaml-cpp/yaml.h>

#include "experiments/base/strings.h"
#include "experiments/config_schema.h"
#include "experiments/yaml_values.h"

namespace attnsweep {
namespace {

// `text` cut at its commas outside brackets, braces and quotes.
std::vector<std::string> SplitValues(const std::string& text) {
  std::vector<std::string> values(1);
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      values.emplace_back();
      continue;
    }
    values.back() += c;
  }
  return values;
}

// Removes `key` from a grid or params map, written dotted ("train.lr") or nested ({train: {lr}}).
void RemoveKey(YAML::Node map, const std::string& key) {
  if (!map.IsMap()) return;
  map.remove(key);
  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    const std::string head = key.substr(0, dot);
    YAML::Node section = map[head];
    if (!section.IsMap()) continue;
    RemoveKey(section, key.substr(dot + 1));
    if (section.size() == 0) map.remove(head);
  }
}

// Whether `map` (a zip group or a search section) names `key`, dotted or nested.
bool Names(const YAML::Node& node, const std::string& key, const std::string& prefix = "") {
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (Names(item, key, prefix)) return true;
    }
    return false;
  }
  if (!node.IsMap()) return false;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string name =
        prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
    if (name == key || Names(it->second, key, name)) return true;
  }
  return false;
}

}  // namespace

GridOverride ParseGridOverride(const std::string& text, std::string* problem) {
  GridOverride override;
  override.text = text;
  const size_t equals = text.find('=');
  const std::string usage = "write KEY=VALUE or KEY=V1,V2,... (e.g. train.lr=0.01,0.03)";
  if (equals == std::string::npos || equals == 0) {
    *problem = "'" + text + "' is not an override: " + usage;
    return override;
  }
  const std::string key = TrimBlanks(text.substr(0, equals));
  const std::string value_text = TrimBlanks(text.substr(equals + 1));
  const ParamSpec* spec = FindParam(key);
  if (spec == nullptr) {
    *problem = "override '" + text + "': " + UnknownKeyMessage(key);
    return override;
  }
  if (value_text.empty()) {
    *problem = "override '" + text + "' gives no value: " + usage;
    return override;
  }
  YAML::Node values;
  try {
    if (value_text.front() == '{') {
      values = YAML::Load(value_text);  // a range or geometric series, checked by the grid's rules
    } else {
      values = YAML::Node(YAML::NodeType::Sequence);
      for (const std::string& piece : SplitValues(value_text)) {
        const std::string one = TrimBlanks(piece);
        if (one.empty()) {
          *problem = "override '" + text + "' has an empty value between its commas";
          return override;
        }
        const YAML::Node node = YAML::Load(one);
        // A bracketed list is several values of the axis, as in a grid file.
        if (node.IsSequence()) {
          for (const auto& item : node) values.push_back(item);
        } else {
          values.push_back(node);
        }
      }
      for (const auto& value : values) {
        std::string error;
        if (!NormalizeValue(value, *spec, &error)) {
          *problem = "override '" + text + "': " + error;
          return override;
        }
      }
    }
  } catch (const YAML::Exception& e) {
    *problem = "override '" + text + "': not a value YAML reads (" + e.msg + "): " + usage;
    return override;
  }
  override.key = key;
  override.values_yaml = YAML::Dump(values);
  return override;
}

std::vector<std::string> ApplyGridOverrides(YAML::Node& root,
                                            const std::vector<GridOverride>& overrides) {
  std::vector<std::string> problems;
  YAML::Node experiments = root.IsMap() ? root["experiments"] : YAML::Node();
  if (!experiments.IsSequence()) return problems;  // the grid's own check says what is wrong
  for (const GridOverride& override : overrides) {
    const ParamSpec& spec = *FindParam(override.key);
    std::vector<std::string> readers;
    for (YAML::Node experiment : experiments) {
      if (!experiment.IsMap() || !experiment["task"] || !experiment["task"].IsScalar()) continue;
      if (!ParamAppliesToTask(spec, experiment["task"].Scalar())) continue;
      const std::string name =
          experiment["name"] && experiment["name"].IsScalar() ? experiment["name"].Scalar() : "?";
      for (const char* section : {"zip", "search"}) {
        if (experiment[section] && Names(experiment[section], override.key)) {
          problems.push_back("override '" + override.text + "': experiment '" + name + "' " +
                             (std::string(section) == "zip" ? "zips" : "searches") + " " +
                             override.key + " in its '" + section +
                             "', which an override cannot change: change it in the grid file");
        }
      }
      if (!experiment["grid"]) experiment["grid"] = YAML::Node(YAML::NodeType::Map);
      readers.push_back(name);
      if (!experiment["grid"].IsMap()) continue;  // the grid's own check says what is wrong
      RemoveKey(experiment["grid"], override.key);
      experiment["grid"][override.key] = YAML::Load(override.values_yaml);
    }
    if (readers.empty()) {
      std::vector<std::string> tasks = spec.tasks;
      problems.push_back(
          "override '" + override.text + "': no experiment of this grid reads " + override.key +
          (tasks.empty() ? std::string()
                         : " (read by the task" + std::string(tasks.size() > 1 ? "s " : " ") +
                               JoinNames(tasks) + ")"));
    }
  }
  return problems;
}

}  // namespace attnsweep
