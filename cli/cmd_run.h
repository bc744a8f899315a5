// `attnsweep run GRID.yaml`: validate the grid, store its jobs as a new batch, run them.
#pragma once

#include <string>
#include <vector>

#include "workers/sweep.h"

namespace CLI {
class App;
}

namespace attnsweep {

struct RunOptions {
  std::string grid_path;
  std::vector<std::string> overrides;  // KEY=V1,V2 after the grid (experiments/grid_overrides.h)
  std::string db;                      // empty: the grid's `store:`, else attnsweep.db
  bool dry_run = false;
  bool reuse = false;
  SweepSettings sweep;           // parsed with the options
  std::string format = "table";  // of the --dry-run listing
};

CLI::App* SetupRunCommand(CLI::App& app, RunOptions* options);
// Every rank calls it: rank 0 validates, stores and coordinates; the others run jobs.
int RunRunCommand(const RunOptions& options, MpiRuntime& mpi, JobLauncher* launcher);

}  // namespace attnsweep
