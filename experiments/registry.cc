#include "experiments/registry.h"

#include <stdexcept>

namespace attnsweep {
namespace {

struct Registry {
  std::vector<TaskDefinition> tasks;
  std::vector<VariantDefinition> variants;
  uint64_t generation = 1;
};

Registry& TheRegistry() {
  // Never destroyed: entries may be looked up during static teardown. Empty until the program
  // registers what it has (RegisterBuiltins, builtins.h, then any extension).
  static Registry* registry = new Registry;
  return *registry;
}

// Whether any declaration holds `key`: the core's, a shared section's, a task's or a variant's
// (the keys config_schema.cc gathers into the schema).
bool Declared(const std::string& key) {
  const auto in = [&](const std::vector<ParamSpec>& keys) {
    for (const ParamSpec& spec : keys) {
      if (spec.key == key) return true;
    }
    return false;
  };
  if (in(CoreKeys())) return true;
  for (KeyGroup group : kKeyGroups) {
    if (in(KeysOf(group))) return true;
  }
  for (const auto& task : TheRegistry().tasks) {
    if (in(task.keys)) return true;
  }
  for (const auto& variant : TheRegistry().variants) {
    if (in(variant.keys)) return true;
  }
  return false;
}

void RefuseTakenKeys(const std::vector<ParamSpec>& keys) {
  for (const ParamSpec& spec : keys) {
    if (Declared(spec.key)) {
      throw std::invalid_argument("config key '" + spec.key + "' is already declared");
    }
  }
}

}  // namespace

const std::vector<TaskDefinition>& Tasks() { return TheRegistry().tasks; }
const std::vector<VariantDefinition>& Variants() { return TheRegistry().variants; }
uint64_t RegistryGeneration() { return TheRegistry().generation; }

const TaskDefinition* FindTask(const std::string& name) {
  for (const auto& task : Tasks()) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

const VariantDefinition* FindVariant(const std::string& name) {
  for (const auto& variant : Variants()) {
    if (variant.name == name) return &variant;
  }
  return nullptr;
}

std::vector<std::string> TaskNames() {
  std::vector<std::string> names;
  for (const auto& task : Tasks()) names.push_back(task.name);
  return names;
}

std::vector<std::string> VariantNames() {
  std::vector<std::string> names;
  for (const auto& variant : Variants()) names.push_back(variant.name);
  return names;
}

void RegisterTask(TaskDefinition task) {
  if (FindTask(task.name) != nullptr) {
    throw std::invalid_argument("a task named '" + task.name + "' is already registered");
  }
  if (!task.run || !task.estimate_seconds) {
    throw std::invalid_argument("task '" + task.name + "' must say how it runs and what it costs");
  }
  RefuseTakenKeys(task.keys);
  TheRegistry().tasks.push_back(std::move(task));
  ++TheRegistry().generation;
}

void RegisterVariant(VariantDefinition variant) {
  if (FindVariant(variant.name) != nullptr) {
    throw std::invalid_argument("an attention variant named '" + variant.name +
                                "' is already registered");
  }
  // A layer (make), or a whole model of its own (make_transaction_model, as aggregates).
  if ((!variant.make && !variant.make_transaction_model) || !variant.mixing_flops) {
    throw std::invalid_argument("variant '" + variant.name +
                                "' must say how it is built and what it costs");
  }
  RefuseTakenKeys(variant.keys);
  TheRegistry().variants.push_back(std::move(variant));
  ++TheRegistry().generation;
}

}  // namespace attnsweep
