// `attnsweep status [BATCH]`: every batch with its job counts, or one batch by experiment with an
// ETA.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct StatusOptions {
  std::string batch;  // id or name; empty: list every batch
  std::string db = "attnsweep.db";
  std::string format = "table";
};

CLI::App* SetupStatusCommand(CLI::App& app, StatusOptions* options);
int RunStatusCommand(const StatusOptions& options);

}  // namespace attnsweep
