// `attnsweep keys`: every config key a grid can set, with its type, default, range and tasks.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct KeysOptions {
  std::string format = "table";
};

CLI::App* SetupKeysCommand(CLI::App& app, KeysOptions* options);
int RunKeysCommand(const KeysOptions& options);

}  // namespace attnsweep
