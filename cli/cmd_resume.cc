#include "cli/cmd_resume.h"

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/sweep_command.h"
#include "experiments/base/exit_codes.h"
#include "workers/batch_service.h"
#include "workers/interrupts.h"

namespace attnsweep {

CLI::App* SetupResumeCommand(CLI::App& app, ResumeOptions* options) {
  CLI::App* resume =
      app.add_subcommand("resume",
                         "Finish a batch: its pending jobs, and those a dead coordinator left "
                         "running. Done jobs never "
                         "run again. Runs the grid stored with the batch, not the file.");
  resume->add_option("batch", options->batch,
                     "a batch id or name (default: the newest batch not done or failed)");
  AddDbOption(resume, &options->db);
  resume->add_flag("--retry-failed", options->retry_failed,
                   "also run again the jobs that failed (error, oom, diverged, ...)");
  resume->add_flag("--allow-changed-data", options->allow_changed_data,
                   "resume even when a data file of the batch changed since it was stored (its "
                   "results then come from two data sets; refused without this flag)");
  AddSweepOptions(resume, &options->sweep);
  return resume;
}

int RunResumeCommand(const ResumeOptions& options, MpiRuntime& mpi, JobLauncher* launcher) {
  BatchService service(mpi, launcher, options.sweep);
  if (!service.is_coordinator()) {
    InstallInterruptHandlers();
    return service.ServeAsWorker();
  }
  // The coordinator's signals become flags when it first writes (BatchService::Resume).
  if (!ExistingStore(options.db,
                     "nothing was stored there. If `run` was stopped before it stored its batch, "
                     "start `attnsweep run GRID.yaml` again; if the store is elsewhere, pass it "
                     "with --db")) {
    return FinishSweepCommand(service, BatchToRun::Ended(kExitStoreError));
  }
  return FinishSweepCommand(
      service, service.Resume(
                   {options.db, options.batch, options.retry_failed, options.allow_changed_data}));
}

}  // namespace attnsweep
