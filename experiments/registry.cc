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

// A layer variant is built by `make`, a whole_model one by `make_transaction_model`, never the
// other way round.
void RefuseBuilderOfTheOtherKind(const VariantDefinition& variant, bool layer, bool whole_model) {
  if ((layer && variant.whole_model) || (whole_model && !variant.whole_model)) {
    throw std::invalid_argument(
        "variant '" + variant.name + "' is " +
        (variant.whole_model ? "a whole model (make_transaction_model), not a layer (make)"
                             : "a layer (make), not a whole model (make_transaction_model)"));
  }
}

VariantDefinition& RegisteredVariant(const std::string& name) {
  for (auto& entry : TheRegistry().variants) {
    if (entry.name == name) return entry;
  }
  throw std::invalid_argument("no attention variant named '" + name + "' is registered");
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
  if (!task.estimate_seconds) {
    throw std::invalid_argument("task '" + task.name + "' must say what it costs");
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
  if (!variant.mixing_flops) {
    throw std::invalid_argument("variant '" + variant.name + "' must say what it costs");
  }
  RefuseBuilderOfTheOtherKind(variant, static_cast<bool>(variant.make),
                              static_cast<bool>(variant.make_transaction_model));
  RefuseTakenKeys(variant.keys);
  TheRegistry().variants.push_back(std::move(variant));
  ++TheRegistry().generation;
}

void SetTaskRun(const std::string& task, TaskRunFunction run) {
  for (auto& entry : TheRegistry().tasks) {
    if (entry.name == task) {
      entry.run = std::move(run);
      return;
    }
  }
  throw std::invalid_argument("no task named '" + task + "' is registered");
}

void SetVariantBuilder(const std::string& variant, LayerBuilder make) {
  VariantDefinition& entry = RegisteredVariant(variant);
  RefuseBuilderOfTheOtherKind(entry, true, false);
  entry.make = std::move(make);
}

void SetWholeModelBuilder(const std::string& variant, WholeModelBuilder make) {
  VariantDefinition& entry = RegisteredVariant(variant);
  RefuseBuilderOfTheOtherKind(entry, false, true);
  entry.make_transaction_model = std::move(make);
}

}  // namespace attnsweep
