// `attnsweep run GRID.yaml`: validate the grid, store its jobs as a new batch, run them.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct RunOptions {
  std::string grid_path;
  std::string db;  // empty: the grid's `store:`, else attnsweep.db
  bool dry_run = false;
  int threads_per_rank = 0;  // 0: the usable cores
  std::string device = "auto";
  std::string format = "table";  // of the --dry-run listing
};

CLI::App* SetupRunCommand(CLI::App& app, RunOptions* options);
int RunRunCommand(const RunOptions& options);

}  // namespace attnsweep
