#include "experiments/config_keys.h"

#include <set>

namespace attnsweep {
namespace {

void Flatten(const nlohmann::json& node, const std::string& prefix,
             std::map<std::string, nlohmann::json>* out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, out);
    } else {
      (*out)[key] = *it;
    }
  }
}

}  // namespace

std::map<std::string, nlohmann::json> FlattenConfig(const nlohmann::json& config) {
  std::map<std::string, nlohmann::json> flat;
  if (config.is_object()) Flatten(config, "", &flat);
  return flat;
}

nlohmann::json ConfigValue(const nlohmann::json& config, const std::string& dotted_key) {
  const nlohmann::json* node = &config;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted_key.find('.', start);
    const std::string part = dotted_key.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    if (dot == std::string::npos) return *node;
    start = dot + 1;
  }
}

std::vector<std::string> VaryingConfigKeys(const std::vector<nlohmann::json>& configs) {
  std::map<std::string, std::set<std::string>> values;  // key -> distinct values
  for (const auto& config : configs) {
    for (const auto& [key, value] : FlattenConfig(config)) values[key].insert(value.dump());
  }
  std::vector<std::string> keys;
  // The variant first: it is what a reader compares. Seeds are what results average over; the
  // task follows from the experiment.
  const auto attention = values.find("model.attention");
  if (attention != values.end() && attention->second.size() > 1) keys.push_back(attention->first);
  for (const auto& [key, distinct] : values) {
    if (key != "seed" && key != "task" && key != "model.attention" && distinct.size() > 1)
      keys.push_back(key);
  }
  return keys;
}

std::string JobLabel(const nlohmann::json& config, const std::vector<std::string>& keys) {
  std::string label;
  for (const auto& key : keys) {
    const nlohmann::json value = ConfigValue(config, key);
    if (value.is_null()) continue;
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    const auto dot = key.rfind('.');
    const std::string name = dot == std::string::npos ? key : key.substr(dot + 1);
    label += (label.empty() ? "" : ", ") + (key == "model.attention" ? text : name + "=" + text);
  }
  const nlohmann::json seed = ConfigValue(config, "seed");
  if (!seed.is_null()) label += (label.empty() ? "" : ", ") + ("seed=" + seed.dump());
  return label;
}

}  // namespace attnsweep
