#include "cli/cmd_keys.h"

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/config_schema.h"
#include "workers/exit_codes.h"

namespace attnsweep {

CLI::App* SetupKeysCommand(CLI::App& app, KeysOptions* options) {
  CLI::App* keys = app.add_subcommand("keys", "List every config key a grid can set");
  AddFormatOption(keys, &options->format);
  return keys;
}

int RunKeysCommand(const KeysOptions& options) {
  Table table;
  table.columns = {"key", "type", "default", "allowed", "tasks", "meaning"};
  auto join = [](const std::vector<std::string>& items, const char* none) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? std::string(none) : text;
  };
  for (const auto& spec : ConfigSchema()) {
    std::string allowed = join(spec.choices, "");
    if (spec.min || spec.max) {
      allowed = (spec.min ? FormatNumber(*spec.min) : "") + ".." +
                (spec.max ? FormatNumber(*spec.max) : "") + (spec.max_exclusive ? " (excl.)" : "");
    }
    std::string tasks = join(spec.tasks, "all");
    if (!spec.variant.empty()) tasks += " (attention " + spec.variant + ")";
    table.rows.push_back(
        {spec.key, ParamTypeName(spec.type), spec.default_text, allowed, tasks, spec.help});
  }
  PrintTable(table, options.format);
  return kExitOk;
}

}  // namespace attnsweep
