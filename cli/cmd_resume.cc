#include "cli/cmd_resume.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/sweep_command.h"
#include "workers/exit_codes.h"
#include "workers/interrupts.h"
#include "workers/stored_jobs.h"

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
  AddSweepOptions(resume, &options->sweep, &options->job_timeout, &options->job_memory);
  return resume;
}

namespace {

// Warns when the grid file the batch came from has changed: resume still runs what is stored.
void WarnIfGridFileChanged(const BatchRecord& batch) {
  if (batch.grid_path.empty() || !std::filesystem::exists(batch.grid_path)) return;
  std::ifstream in(batch.grid_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str() != batch.grid_yaml) {
    spdlog::warn(
        "{} has changed since batch {} started; resume runs the batch's jobs as stored "
        "(start a new batch with `attnsweep run` to use the new grid)",
        batch.grid_path, batch.id);
  }
}

}  // namespace

int RunResumeCommand(const ResumeOptions& options, MpiRuntime& mpi, JobLauncher* launcher) {
  SweepRanks ranks(mpi, launcher);
  InstallInterruptHandlers();
  if (!ranks.is_coordinator()) return ranks.ServeAsWorker(options.sweep);

  SweepSettings settings = options.sweep;
  if (!ApplySweepOptions(options.job_timeout, options.job_memory, options.db, &settings)) {
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  if (!ExistingStore(options.db)) {
    ranks.Dismiss(kExitStoreError);
    return kExitStoreError;
  }
  ResultStore store = ResultStore::OpenForWriting(options.db);
  WarnIfOnNetworkFileSystem(options.db);
  const auto batch_id = ResolveBatch(store, options.batch, options.db, /*unfinished=*/true);
  if (!batch_id) {
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  const BatchRecord batch = *store.FindBatchRecord(*batch_id);
  WarnIfGridFileChanged(batch);

  const LeaseClaim claim = store.AcquireLease(*batch_id, LeaseOwner(),
                                              CoordinatorOptions().lease_ttl_s, LeaseHolderIsDead);
  if (!claim.acquired) {
    PrintError("batch " + std::to_string(*batch_id) + " is being run by " + claim.holder +
               " (lease until " + claim.expires +
               "); wait for it, or drain it with `attnsweep stop " + std::to_string(*batch_id) +
               "`");
    ranks.Dismiss(kExitStoreError);
    return kExitStoreError;
  }
  if (claim.took_over) {
    spdlog::warn("took over batch {}: its previous coordinator is gone", *batch_id);
  }
  if (const int64_t lost = store.RequeueRunning(*batch_id, options.sweep.max_attempts); lost > 0) {
    spdlog::warn(
        "{} job{} left running by the previous coordinator: attempt recorded as lost, "
        "run again",
        lost, lost == 1 ? "" : "s");
  }
  if (options.retry_failed) {
    const int64_t again = store.RetryFailed(*batch_id);
    if (again > 0) spdlog::info("{} failed job{} will run again", again, again == 1 ? "" : "s");
  }
  std::vector<JobPlan> plans;
  for (const auto& job : store.PendingJobs(*batch_id)) plans.push_back(PlanOfStoredJob(job));
  if (!PrepareJobsData(plans)) {
    store.ReleaseLease(*batch_id, LeaseOwner());
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  store.FinishBatch(*batch_id, "running");
  return CoordinateAndReport(ranks, store, *batch_id, settings, options.db);
}

}  // namespace attnsweep
