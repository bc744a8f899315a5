#include "cli/cmd_logs.h"

#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "store/result_store.h"
#include "workers/job_logs.h"

namespace attnsweep {

CLI::App* SetupLogsCommand(CLI::App& app, LogsOptions* options) {
  CLI::App* logs = app.add_subcommand(
      "logs",
      "Print a job's own output (stdout and stderr of every attempt), kept beside the store");
  logs->add_option("job", options->job_id, "the job's id (the `jobs` table's id, as in `results`)")
      ->required();
  AddDbOption(logs, &options->db);
  return logs;
}

int RunLogsCommand(const LogsOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const std::optional<JobLocation> job = store.FindJob(options.job_id);
  if (!job) {
    PrintError("no job " + std::to_string(options.job_id) + " in '" + options.db +
               "' (`attnsweep query \"SELECT id, experiment, status FROM jobs\"` lists them)");
    return kExitBadInput;
  }
  const std::string path = JobLogPath(JobLogRoot(options.db), job->batch_id, options.job_id);
  std::ifstream log(path);
  if (!log && job->isolation == "inproc") {
    // A done inproc attempt keeps no log: a file per job was the biggest cost of a sweep of short
    // jobs, and it would hold nothing.
    std::cout << "job " << options.job_id << " (" << job->status
              << "): no output captured: the job ran in the worker's own thread (isolation "
                 "inproc); its output went to the worker's stderr. `attnsweep jobs` shows its "
                 "attempts.\n";
    return kExitOk;
  }
  if (!log) {
    PrintError("no log for job " + std::to_string(options.job_id) + " (status " + job->status +
               ") at " + path +
               ": it has not run yet, or its store's logs folder was not kept with it");
    return kExitBadInput;
  }
  std::cout << log.rdbuf() << std::flush;
  return kExitOk;
}

}  // namespace attnsweep
