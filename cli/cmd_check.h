// `attnsweep check [--db STORE]`: SQLite's full checks of a store (integrity_check, with its index
// cross-checks, and foreign_key_check), read-only. Exit 0 intact, 3 damaged (with how to recover).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct CheckOptions {
  std::string db = "attnsweep.db";
};

CLI::App* SetupCheckCommand(CLI::App& app, CheckOptions* options);
int RunCheckCommand(const CheckOptions& options);

}  // namespace attnsweep
