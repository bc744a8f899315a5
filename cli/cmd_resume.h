// `attnsweep resume [BATCH]`: finish an interrupted batch from the grid and jobs stored with it.
#pragma once

#include <string>

#include "workers/sweep.h"

namespace CLI {
class App;
}

namespace attnsweep {

struct ResumeOptions {
  std::string batch;  // id or name; empty: the newest unfinished batch
  std::string db = "attnsweep.db";
  bool retry_failed = false;
  bool allow_changed_data = false;
  SweepSettings sweep;  // parsed with the options
};

CLI::App* SetupResumeCommand(CLI::App& app, ResumeOptions* options);
// Every rank calls it, as with run.
int RunResumeCommand(const ResumeOptions& options, MpiRuntime& mpi, JobLauncher* launcher);

}  // namespace attnsweep
