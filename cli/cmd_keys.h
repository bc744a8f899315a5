// `attnsweep keys`: every config key a grid can set, with its type, default, range and tasks; or
// the registered tasks and attention variants.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct KeysOptions {
  std::string task;  // a task name (its keys), or part of a key or a glob (`keys [PATTERN]`)
  bool tasks = false;
  bool variants = false;
  std::string format = "table";
};

CLI::App* SetupKeysCommand(CLI::App& app, KeysOptions* options);
int RunKeysCommand(const KeysOptions& options);

}  // namespace attnsweep
