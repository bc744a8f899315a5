// `attnsweep jobs [BATCH...] [--status failed]`: one row per job with what happened to it.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct JobsOptions {
  std::vector<std::string> batches;  // empty: the newest batch
  bool all = false;
  std::string db = "attnsweep.db";
  std::string status;  // pending, running, done or failed; empty: all
  std::string format = "table";
};

CLI::App* SetupJobsCommand(CLI::App& app, JobsOptions* options);
int RunJobsCommand(const JobsOptions& options);

}  // namespace attnsweep
