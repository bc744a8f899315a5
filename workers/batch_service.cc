#include "workers/batch_service.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "experiments/base/build_info.h"
#include "experiments/base/exit_codes.h"
#include "experiments/blas_core.h"
#include "experiments/data/data_error.h"
#include "experiments/data/data_fingerprint.h"
#include "experiments/data/prepared_data.h"
#include "experiments/grid.h"
#include "experiments/job_key.h"
#include "experiments/job_runner.h"
#include "store/file_system.h"
#include "store/sqlite_handle.h"
#include "workers/interrupts.h"
#include "workers/job_logs.h"
#include "workers/placement.h"
#include "workers/stored_jobs.h"

namespace attnsweep {
namespace {

std::string VersionsJson(const MpiRuntime& mpi) {
  nlohmann::json versions = {{"attnsweep", AttnsweepVersion()},
                             {"libtorch", LibTorchVersion()},
                             {"sqlite", SqliteLibraryVersion()},
                             {"mpi", mpi.LibraryVersion()}};
  if (const std::string blas = BlasCoreDescription(); !blas.empty()) versions["openblas"] = blas;
  return versions.dump();
}

void WarnIfOnNetworkFileSystem(const std::string& db_path) {
  const std::string file_system = NetworkFileSystemOf(db_path);
  if (file_system.empty()) return;
  spdlog::warn(
      "the store {} is on a network file system ({}): SQLite's write-ahead log needs locks and "
      "shared memory such file systems do not provide reliably, and the store can be corrupted. "
      "Put it on rank 0's local disk (for example $TMPDIR or /tmp on the first node of the "
      "allocation) and copy it back when the sweep ends (docs/slurm.md)",
      db_path, file_system);
}

// Prepares, once and before anything runs, the data that the jobs of these plans read (each plan
// says which): bad data is reported now, and the jobs then load the cached preparation instead of
// racing to build it. The problem with the data, or "".
std::string PrepareJobsData(const std::vector<JobPlan>& plans) {
  std::set<std::string> sections;
  for (const JobPlan& plan : plans) {
    if (!plan.data.is_null()) sections.insert(plan.data.dump());
  }
  for (const auto& text : sections) {
    try {
      const PreparedData prepared = PrepareData(nlohmann::json::parse(text));
      spdlog::info("data {}: {} {} labelled customers, {} events in {:.2f} s", prepared.folder,
                   prepared.built ? "prepared" : "loaded", prepared.dataset->customers(),
                   prepared.dataset->events(), prepared.seconds);
      if (prepared.dataset->rows_skipped + prepared.dataset->labels_skipped > 0) {
        spdlog::warn("data {}: skipped {} malformed rows and {} labels (data.skip_bad_rows)",
                     prepared.folder, prepared.dataset->rows_skipped,
                     prepared.dataset->labels_skipped);
      }
    } catch (const DataError& e) {
      return e.what();
    }
  }
  return "";
}

// Whether the data of the batch's unfinished jobs is what their keys were made with (their stored
// fingerprints): the problem, naming the data, the job and what to do, or "". Jobs stored before
// fingerprints were, and jobs that read no data, are not checked.
std::string DataChangedUnder(ResultStore& store, int64_t batch_id) {
  std::map<std::string, std::string> now_by_data;  // a data section -> its fingerprint now
  for (const JobRecord& job : store.JobsNotDone(batch_id)) {
    if (job.data_fingerprint.empty()) continue;
    const auto config = nlohmann::json::parse(job.config);
    const nlohmann::json data = config.value("data", nlohmann::json::object());
    const std::string section = data.dump();
    auto found = now_by_data.find(section);
    if (found == now_by_data.end()) {
      std::string fingerprint, error;
      if (!DataFingerprint(config, &fingerprint, &error)) fingerprint = "unreadable: " + error;
      found = now_by_data.emplace(section, fingerprint).first;
    }
    if (found->second == job.data_fingerprint) continue;
    const std::string what =
        data.contains("path") && data["path"].is_string()
            ? "the data at '" + data["path"].get<std::string>() + "' (data.path)"
            : "the data";
    return what + " of batch " + std::to_string(batch_id) + "'s job #" + std::to_string(job.id) +
           " changed after the batch was stored (fingerprint then " + job.data_fingerprint +
           ", now " + found->second +
           "): its done jobs ran on the old data, so resuming would put results of two data sets "
           "in one batch. Put the data back as it was; or run the grid as a new batch (`attnsweep "
           "run GRID --reuse` reuses what still matches); or resume with --allow-changed-data to "
           "mix them knowingly. Nothing was changed in the store";
  }
  return "";
}

// Nothing unfinished: why there is nothing to resume, and what to do instead. The exit code: 1
// when the batch to resume has failed jobs (as `run` would have said), 2 when there is none.
BatchToRun NothingToResume(ResultStore& store, const std::string& db_path) {
  const auto latest = store.LatestBatchId();
  if (!latest) {
    return BatchToRun::Ended(kExitBadInput,
                             "store '" + db_path +
                                 "' holds no batch: nothing was stored (a `run` stopped before it "
                                 "stored its batch leaves nothing to resume): start `attnsweep run "
                                 "GRID.yaml` again");
  }
  const auto summary = store.FindBatch(*latest);
  if (summary->failed > 0) {
    return BatchToRun::Ended(
        kExitJobsFailed, "nothing to resume in '" + db_path + "': the newest batch, " +
                             std::to_string(summary->id) + " '" + summary->name + "', ended with " +
                             std::to_string(summary->done) + " done and " +
                             FailuresByKind(store, summary->id) + ". " +
                             RetryFailedHint(store, summary->id, db_path));
  }
  return BatchToRun::Ended(kExitBadInput, "nothing to resume in '" + db_path +
                                              "': its newest batch, " +
                                              std::to_string(summary->id) + " '" + summary->name +
                                              "', is done (" + std::to_string(summary->done) +
                                              " jobs); `attnsweep status` lists the batches");
}

// Warns when the grid file the batch came from has changed: resume still runs what is stored.
void WarnIfGridFileChanged(const BatchRecord& batch) {
  std::error_code error;
  if (batch.grid_path.empty() || !std::filesystem::is_regular_file(batch.grid_path, error)) return;
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

void LogRequeued(const ResultStore::Requeued& requeued) {
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
}

void LogSweepEnd(const SweepReport& report, ResultStore& store, int64_t batch_id,
                 const std::string& db_path) {
  const auto after = store.FindBatch(batch_id);
  switch (report.end) {
    case SweepEnd::kFinished:
      spdlog::info(
          "batch {} finished: {} done, {} failed in all. See: attnsweep results {} --db {}",
          batch_id, after->done, after->failed, batch_id, db_path);
      if (after->failed > 0) {
        spdlog::info("{}; {}", FailuresByKind(store, batch_id),
                     RetryFailedHint(store, batch_id, db_path));
      }
      break;
    case SweepEnd::kInterrupted:
      spdlog::warn(
          "batch {} interrupted: {} done, {} failed, {} pending; all that finished is "
          "stored. Continue with: attnsweep resume {} --db {}",
          batch_id, after->done, after->failed, after->pending, batch_id, db_path);
      break;
    case SweepEnd::kDrained:
      spdlog::warn(
          "batch {} drained: {} done, {} failed, {} pending. Continue with: attnsweep "
          "resume {} --db {}",
          batch_id, after->done, after->failed, after->pending, batch_id, db_path);
      break;
    case SweepEnd::kLeaseLost:
      spdlog::error("batch {}: another coordinator took it over; this one stopped", batch_id);
      break;
    case SweepEnd::kNoWorkers:
      spdlog::error(
          "batch {} stopped: no worker rank could run its jobs ({} done, {} pending). Continue "
          "with: attnsweep resume {} --db {}",
          batch_id, after->done, after->pending, batch_id, db_path);
      break;
  }
  spdlog::info(
      "coordinator: {:.2f} s of CPU over {:.2f} s ({:.1f} %), {} attempts handed out ({:.0f} "
      "per second), {} store writes in {} transactions",
      report.coordinator_cpu_s, report.wall_s,
      report.wall_s > 0 ? 100.0 * report.coordinator_cpu_s / report.wall_s : 0.0, report.started,
      report.wall_s > 0 ? static_cast<double>(report.started) / report.wall_s : 0.0,
      report.store_writes, report.store_groups);
  if (report.stale_dropped > 0) {
    spdlog::warn("{} late results of abandoned attempts were dropped", report.stale_dropped);
  }
}

}  // namespace

BatchService::BatchService(MpiRuntime& mpi, JobLauncher* launcher, SweepSettings settings)
    : ranks_(mpi, launcher), settings_(std::move(settings)), mpi_(mpi) {}

BatchToRun BatchService::Start(const NewBatchRequest& request) {
  const Grid& grid = *request.grid;
  std::vector<JobPlan> plans;
  for (const auto& job : grid.jobs) plans.push_back(job.plan);
  if (const std::string problem = PrepareJobsData(plans); !problem.empty()) {
    return BatchToRun::Ended(kExitBadInput, problem + "\nbad data in " + request.grid_path +
                                                "'s jobs; nothing was run or stored");
  }
  db_path_ = request.db_path;
  store_.emplace(ResultStore::OpenForWriting(db_path_));
  WarnIfOnNetworkFileSystem(db_path_);
  std::vector<NewJob> jobs;
  for (const auto& job : grid.jobs) {
    jobs.push_back({job.experiment, job.job_key, CanonicalJson(job.config), job.plan.estimate_s,
                    job.limits.dump(), job.plan.ToJson().dump(), job.data_fingerprint});
  }
  if (!request.reuse) {
    std::vector<std::string> keys;
    for (const auto& job : jobs) keys.push_back(job.job_key);
    if (const size_t done = store_->DoneResultBatches(keys).size(); done > 0) {
      spdlog::info(
          "{} of {} jobs already have a done result in {}: they run again (`attnsweep run {} "
          "--reuse` takes those results instead)",
          done, jobs.size(), db_path_, request.grid_path);
    }
  }
  int64_t reused = 0;
  // From here a signal must end the sweep in order (the batch interrupted, resumable), not at once.
  InstallInterruptHandlers();
  const int64_t batch_id = store_->CreateBatch(
      {grid.name, request.grid_text, std::filesystem::absolute(request.grid_path).string(),
       HostName(), GitRevision(), VersionsJson(mpi_), grid.description, grid.tags,
       request.overrides},
      jobs, request.reuse, &reused);
  if (request.reuse) {
    spdlog::info("--reuse: {} of {} jobs reuse a done result already in {}; {} to run", reused,
                 jobs.size(), db_path_, static_cast<int64_t>(jobs.size()) - reused);
  }
  store_->AcquireLease(batch_id, LeaseOwner(), CoordinatorOptions().lease_ttl_s,
                       [](const std::string&) { return false; });
  return BatchToRun::Batch(batch_id);
}

BatchToRun BatchService::Resume(const ResumeRequest& request) {
  db_path_ = request.db_path;
  store_.emplace(ResultStore::OpenForWriting(db_path_));
  ResultStore& store = *store_;
  WarnIfOnNetworkFileSystem(db_path_);
  if (request.batch.empty() && !store.LatestUnfinishedBatchId() && !request.retry_failed) {
    return NothingToResume(store, db_path_);
  }
  std::string problem;
  const auto batch_id =
      request.batch.empty() && request.retry_failed
          ? store.LatestBatchId()
          : ResolveBatchId(store, request.batch, db_path_, /*unfinished=*/true, &problem);
  if (!batch_id) {
    return BatchToRun::Ended(kExitBadInput,
                             problem.empty() ? "store '" + db_path_ + "' holds no batch" : problem);
  }
  WarnIfGridFileChanged(*store.FindBatchRecord(*batch_id));
  if (const std::string changed = DataChangedUnder(store, *batch_id); !changed.empty()) {
    if (!request.allow_changed_data) return BatchToRun::Ended(kExitBadInput, changed);
    spdlog::warn("--allow-changed-data: {}", changed.substr(0, changed.find("): ") + 1));
  }

  // From here a signal must end the sweep in order (the batch interrupted, resumable), not at once.
  InstallInterruptHandlers();
  const LeaseClaim claim = store.AcquireLease(*batch_id, LeaseOwner(),
                                              CoordinatorOptions().lease_ttl_s, LeaseHolderIsDead);
  if (!claim.acquired) {
    return BatchToRun::Ended(kExitStoreError, "batch " + std::to_string(*batch_id) +
                                                  " is being run by " + claim.holder +
                                                  " (lease until " + claim.expires +
                                                  "); wait for it, or drain it with `attnsweep "
                                                  "stop " +
                                                  std::to_string(*batch_id) + "`");
  }
  if (claim.took_over) {
    spdlog::warn("took over batch {}: its previous coordinator is gone", *batch_id);
  }
  LogRequeued(store.RequeueRunning(*batch_id, settings_.max_attempts));
  if (request.retry_failed) {
    const int64_t again = store.RetryFailed(*batch_id);
    if (again > 0) spdlog::info("{} failed job{} will run again", again, again == 1 ? "" : "s");
  }
  std::vector<JobPlan> plans;
  for (const auto& job : store.PendingJobs(*batch_id)) plans.push_back(PlanOfStoredJob(job));
  if (const std::string bad_data = PrepareJobsData(plans); !bad_data.empty()) {
    store.ReleaseLease(*batch_id, LeaseOwner());
    return BatchToRun::Ended(kExitBadInput, bad_data);
  }
  store.FinishBatch(*batch_id, "running");
  return BatchToRun::Batch(*batch_id);
}

int BatchService::Run(const BatchToRun& to_run) {
  if (!to_run.batch_id) {
    ranks_.Dismiss(to_run.exit_code);
    return to_run.exit_code;
  }
  const int64_t batch_id = *to_run.batch_id;
  ResultStore& store = *store_;
  SweepSettings settings = settings_;
  settings.log_root = JobLogRoot(db_path_);
  settings.checkpoint_root = CheckpointRoot(db_path_);
  const auto summary = store.FindBatch(batch_id);
  spdlog::info("batch {} '{}': {} pending of {} jobs, {} worker rank{} x {} threads, store {}",
               batch_id, summary->name, summary->pending, summary->total, ranks_.worker_ranks(),
               ranks_.worker_ranks() == 1 ? "" : "s", ranks_.ThreadsPerJob(settings), db_path_);
  store.SetBatchWorkers(batch_id, ranks_.worker_ranks());
  const SweepReport report = ranks_.Coordinate(store, batch_id, settings);
  LogSweepEnd(report, store, batch_id, db_path_);
  return report.exit_code;
}

namespace {

// The batch's failed jobs by the kind they failed with.
std::map<std::string, int> FailedKinds(ResultStore& store, int64_t batch_id) {
  std::map<std::string, int> kinds;
  for (const JobRecord& job : store.JobsWithMetrics(batch_id, "failed")) {
    ++kinds[job.error_kind.empty() ? "error" : job.error_kind];
  }
  return kinds;
}

// What must change before a job that failed so fails otherwise: "" for a kind that may pass on
// its own (a crash, a killed or lost rank).
std::string WhatMustChange(const std::string& kind) {
  if (kind == "oom") {
    return "it gets more memory (a larger --job-memory) or is made smaller (in a new batch)";
  }
  if (kind == "timeout") return "it gets more time (a longer --job-timeout)";
  if (kind == "diverged") {
    return "its recipe changes (a lower train.lr or a train.clip, in a new batch): the same seed "
           "diverges the same way";
  }
  if (kind == "invalid") return "the grid changes (in a new batch)";
  return "";
}

}  // namespace

std::string FailuresByKind(ResultStore& store, int64_t batch_id) {
  const std::map<std::string, int> kinds = FailedKinds(store, batch_id);
  int failed = 0;
  for (const auto& [kind, count] : kinds) failed += count;
  std::string text = std::to_string(failed) + " failed:";
  for (const auto& [kind, count] : kinds) {
    text += (text.back() == ':' ? " " : ", ") + std::to_string(count) + " " + kind;
  }
  return text;
}

std::string RetryFailedHint(ResultStore& store, int64_t batch_id, const std::string& db_path) {
  std::string again;
  int deterministic = 0, failed = 0;
  for (const auto& [kind, count] : FailedKinds(store, batch_id)) {
    failed += count;
    const std::string change = WhatMustChange(kind);
    if (change.empty()) continue;
    deterministic += count;
    again += (again.empty() ? "" : "; ") + std::to_string(count) + " " + kind + " unless " + change;
  }
  const std::string how =
      "attnsweep resume " + std::to_string(batch_id) + " --retry-failed --db " + db_path;
  const std::string why =
      " (`attnsweep jobs " + std::to_string(batch_id) + " --status failed` says why each failed)";
  if (deterministic == 0) return "run the failed jobs again with: " + how + why;
  return std::string(deterministic == failed ? "they"
                                             : std::to_string(deterministic) + " of them") +
         " would fail again as they are (" + again + "); `" + how +
         "` runs the failed jobs again as stored" + why;
}

}  // namespace attnsweep
