#include "experiments/config_schema.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "experiments/registry.h"

namespace attnsweep {
namespace {

// The tasks that read a shared section, and the conditions under which they do.
void ApplyGroupUse(KeyGroup group, ParamSpec* spec) {
  for (const TaskDefinition& task : Tasks()) {
    for (const KeyGroupUse& use : task.reads) {
      if (use.group != group) continue;
      spec->tasks.push_back(task.name);
      for (const auto& condition : use.when) {
        const bool known = std::any_of(spec->when.begin(), spec->when.end(), [&](const auto& c) {
          return c.key == condition.key && c.value == condition.value;
        });
        if (!known) spec->when.push_back(condition);
      }
    }
  }
}

std::vector<ParamSpec> GatherSchema() {
  std::vector<ParamSpec> schema;
  for (ParamSpec spec : CoreKeys()) {
    if (spec.key == "task") spec.Choices(TaskNames());
    schema.push_back(std::move(spec));
  }
  for (KeyGroup group : kKeyGroups) {
    for (ParamSpec spec : KeysOf(group)) {
      if (spec.key == "model.attention") spec.Choices(VariantNames());
      ApplyGroupUse(group, &spec);
      schema.push_back(std::move(spec));
    }
  }
  for (const TaskDefinition& task : Tasks()) {
    for (ParamSpec spec : task.keys) {
      spec.tasks = {task.name};
      schema.push_back(std::move(spec));
    }
  }
  for (const VariantDefinition& variant : Variants()) {
    for (ParamSpec spec : variant.keys) {
      spec.variant = variant.name;
      ApplyGroupUse(KeyGroup::kModel, &spec);
      schema.push_back(std::move(spec));
    }
  }
  return schema;
}

}  // namespace

const std::vector<ParamSpec>& ConfigSchema() {
  // Gathered again when an entry was registered since: tests and extensions register at start-up.
  static std::vector<ParamSpec> schema;
  static uint64_t gathered_at = 0;
  if (gathered_at != RegistryGeneration()) {
    schema = GatherSchema();
    gathered_at = RegistryGeneration();
  }
  return schema;
}

const ParamSpec* FindParam(const std::string& key) {
  for (const auto& spec : ConfigSchema()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

bool IsSectionPrefix(const std::string& prefix) {
  const std::string with_dot = prefix + ".";
  for (const auto& spec : ConfigSchema()) {
    if (spec.key.compare(0, with_dot.size(), with_dot) == 0) return true;
  }
  return false;
}

bool ParamAppliesToTask(const ParamSpec& spec, const std::string& task) {
  return spec.tasks.empty() ||
         std::find(spec.tasks.begin(), spec.tasks.end(), task) != spec.tasks.end();
}

bool ParamConditionHolds(const ParamSpec& spec, const std::string& task,
                         const std::function<std::string(const std::string&)>& value_of) {
  for (const auto& condition : spec.when) {
    const ParamSpec* key = FindParam(condition.key);
    if (key == nullptr || !ParamAppliesToTask(*key, task)) continue;  // the task does not read it
    if (value_of(condition.key) != "\"" + condition.value + "\"") return false;
  }
  return true;
}

bool ParamAppliesTo(const ParamSpec& spec, const std::string& task, const std::string& variant) {
  return ParamAppliesToTask(spec, task) && (spec.variant.empty() || spec.variant == variant);
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string ClosestName(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string UnknownKeyMessage(const std::string& key) {
  std::vector<std::string> keys;
  for (const auto& spec : ConfigSchema()) keys.push_back(spec.key);
  std::string message = "unknown key '" + key + "'";
  const std::string close = ClosestName(key, keys);
  if (!close.empty()) message += "; did you mean '" + close + "'?";
  return message + " (`attnsweep keys` lists every key)";
}

}  // namespace attnsweep
