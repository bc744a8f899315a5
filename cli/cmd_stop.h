// `attnsweep stop [BATCH]`: from another shell, ask a running batch to drain: its running jobs
// finish, no new ones start, and `attnsweep resume` continues it later.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct StopOptions {
  std::string batch;  // empty: the newest unfinished batch
  std::string db = "attnsweep.db";
};

CLI::App* SetupStopCommand(CLI::App& app, StopOptions* options);
int RunStopCommand(const StopOptions& options);

}  // namespace attnsweep
