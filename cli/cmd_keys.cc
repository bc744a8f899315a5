#include "cli/cmd_keys.h"

#include <fnmatch.h>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "experiments/config_schema.h"
#include "experiments/registry.h"

namespace attnsweep {

CLI::App* SetupKeysCommand(CLI::App& app, KeysOptions* options) {
  CLI::App* keys = app.add_subcommand(
      "keys", "List every config key a grid can set, or the tasks and attention variants");
  keys->add_option("pattern", options->task,
                   "a task's name (only the keys it reads), or part of a key or a glob "
                   "(performer, 'model.*.k') to filter by");
  keys->add_flag("--tasks", options->tasks, "list the tasks instead: what each does and reads");
  keys->add_flag("--variants", options->variants, "list the attention variants instead");
  AddFormatOption(keys, &options->format);
  return keys;
}

namespace {

std::string GroupName(KeyGroup group) {
  switch (group) {
    case KeyGroup::kModel:
      return "model";
    case KeyGroup::kEncoder:
      return "encoder";
    case KeyGroup::kTransactions:
      return "transactions";
    case KeyGroup::kTraining:
      return "training";
  }
  return "?";
}

Table TaskTable() {
  Table table;
  table.columns = {"task", "isolation", "reads", "own keys", "what it does"};
  table.wrap_columns = {2, 3, 4};
  for (const TaskDefinition& task : Tasks()) {
    std::vector<std::string> reads;
    for (const KeyGroupUse& use : task.reads) {
      std::string text = GroupName(use.group);
      for (const auto& condition : use.when)
        text += " (" + condition.key + ": " + condition.value + ")";
      reads.push_back(text);
    }
    table.rows.push_back({task.name, task.default_isolation, JoinNames(reads),
                          static_cast<int64_t>(task.keys.size()), task.help});
  }
  return table;
}

Table VariantTable() {
  Table table;
  table.columns = {"variant", "own keys", "approximates attention", "what it is"};
  table.wrap_columns = {1, 3};
  for (const VariantDefinition& variant : Variants()) {
    std::vector<std::string> keys;
    for (const ParamSpec& spec : variant.keys) keys.push_back(spec.key);
    table.rows.push_back({variant.name, JoinNames(keys),
                          variant.approximates_attention ? "yes" : "no", variant.help});
  }
  return table;
}

}  // namespace

int RunKeysCommand(const KeysOptions& options) {
  if (options.tasks || options.variants) {
    PrintTable(options.tasks ? TaskTable() : VariantTable(), options.format);
    return kExitOk;
  }
  // A task's name filters by task; anything else is part of a key, or a glob.
  const bool by_task = !options.task.empty() && FindTask(options.task) != nullptr;
  const std::string pattern = by_task ? "" : options.task;
  const bool glob = pattern.find_first_of("*?[") != std::string::npos;
  auto matches = [&](const std::string& key) {
    if (pattern.empty()) return true;
    return glob ? fnmatch(pattern.c_str(), key.c_str(), 0) == 0
                : key.find(pattern) != std::string::npos;
  };
  Table table;
  table.columns = {"key", "type", "default", "allowed", "tasks", "meaning"};
  table.wrap_columns = {1, 3, 4, 5};
  for (const auto& spec : ConfigSchema()) {
    if (by_task && !ParamAppliesToTask(spec, options.task)) continue;
    if (!matches(spec.key)) continue;
    std::string allowed = JoinNames(spec.choices);
    if (spec.min || spec.max) {
      allowed = (spec.min ? FormatNumber(*spec.min) : "") + ".." +
                (spec.max ? FormatNumber(*spec.max) : "") + (spec.max_exclusive ? " (excl.)" : "");
    }
    std::string tasks = spec.tasks.empty() ? "all" : JoinNames(spec.tasks);
    if (!spec.variant.empty()) tasks += " (attention " + spec.variant + ")";
    table.rows.push_back(
        {spec.key, ParamTypeName(spec.type), spec.default_text, allowed, tasks, spec.help});
  }
  if (table.rows.empty()) {
    std::vector<std::string> names;
    for (const auto& spec : ConfigSchema()) names.push_back(spec.key);
    const std::string close = ClosestName(pattern, names);
    PrintError("no key matches '" + pattern + "'" +
               (close.empty() ? "" : "; did you mean '" + close + "'?") +
               " (tasks: " + JoinNames(TaskNames()) + "; `attnsweep keys` lists every key)");
    return kExitBadInput;
  }
  PrintTable(table, options.format);
  return kExitOk;
}

}  // namespace attnsweep
