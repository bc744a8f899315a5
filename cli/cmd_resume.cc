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

// Nothing unfinished: say why there is nothing to resume, and what to do instead. The exit code:
// 1 when the batch to resume has failed jobs (as `run` would have said), 2 when there is none.
int ExplainNothingToResume(ResultStore& store, const std::string& db_path) {
  const auto latest = store.LatestBatchId();
  if (!latest) {
    PrintError("store '" + db_path +
               "' holds no batch: nothing was stored (a `run` stopped "
               "before it stored its batch leaves nothing to resume): start `attnsweep run "
               "GRID.yaml` again");
    return kExitBadInput;
  }
  const auto summary = store.FindBatch(*latest);
  if (summary->failed > 0) {
    PrintError("nothing to resume in '" + db_path + "': the newest batch, " +
               std::to_string(summary->id) + " '" + summary->name + "', ended with " +
               std::to_string(summary->done) + " done and " + FailuresByKind(store, summary->id) +
               ". " + RetryFailedHint(summary->id, db_path));
    return kExitJobsFailed;
  }
  PrintError("nothing to resume in '" + db_path + "': its newest batch, " +
             std::to_string(summary->id) + " '" + summary->name + "', is done (" +
             std::to_string(summary->done) + " jobs); `attnsweep status` lists the batches");
  return kExitBadInput;
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
  if (!ExistingStore(options.db,
                     "nothing was stored there. If `run` was stopped before it stored its batch, "
                     "start `attnsweep run GRID.yaml` again; if the store is elsewhere, pass it "
                     "with --db")) {
    ranks.Dismiss(kExitStoreError);
    return kExitStoreError;
  }
  ResultStore store = ResultStore::OpenForWriting(options.db);
  WarnIfOnNetworkFileSystem(options.db);
  if (options.batch.empty() && !store.LatestUnfinishedBatchId() && !options.retry_failed) {
    const int code = ExplainNothingToResume(store, options.db);
    ranks.Dismiss(code);
    return code;
  }
  const auto batch_id = options.batch.empty() && options.retry_failed
                            ? store.LatestBatchId()
                            : ResolveBatch(store, options.batch, options.db, /*unfinished=*/true);
  if (!batch_id) {
    if (options.batch.empty()) PrintError("store '" + options.db + "' holds no batch");
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
  const auto requeued = store.RequeueRunning(*batch_id, options.sweep.max_attempts);
  if (requeued.abandoned > 0) {
    spdlog::warn(
        "{} job{} left running by the previous coordinator: attempt recorded as abandoned (not "
        "counted against the job), run again",
        requeued.abandoned, requeued.abandoned == 1 ? "" : "s");
  }
  if (requeued.suspects + requeued.poisoned > 0) {
    spdlog::warn(
        "{} job{} ran inside the previous coordinator's process when it died, and may have brought "
        "it down: attempt recorded as rank_died (counted); {} run again, {} failed as poison",
        requeued.suspects + requeued.poisoned,
        requeued.suspects + requeued.poisoned == 1 ? "" : "s", requeued.suspects,
        requeued.poisoned);
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
