#include "cli/sweep_command.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "experiments/data/data_error.h"
#include "experiments/data/prepared_data.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/job_runner.h"
#include "experiments/units.h"
#include "workers/exit_codes.h"
#include "workers/job_logs.h"

namespace attnsweep {

void AddSweepOptions(CLI::App* command, SweepSettings* settings, std::string* job_timeout,
                     std::string* job_memory) {
  command
      ->add_option("--isolation", settings->isolation,
                   "how jobs run: process (a fresh process each), host (one process per worker, "
                   "replaced after a failure), inproc (a thread of the worker), auto (inproc for "
                   "sleep jobs, process otherwise); an experiment's limits.isolation wins")
      ->check(CLI::IsMember({"auto", "process", "host", "inproc"}))
      ->capture_default_str();
  command->add_option("--job-timeout", *job_timeout,
                      "kill a job running longer than this (90s, 30m, 2h; process and host "
                      "isolation); an experiment's limits.timeout wins");
  command->add_option("--job-memory", *job_memory,
                      "cap the memory each job process uses (512M, 16G; at least 128M): its "
                      "resident memory, held by a memory cgroup of its own where one can be made, "
                      "else watched by its worker; past it the job is killed and ends as oom; an "
                      "experiment's limits.memory wins");
  command
      ->add_option("--device", settings->device,
                   "where jobs run: cuda (each worker rank on one GPU of its node: its index "
                   "among the node's workers modulo the GPUs CUDA_VISIBLE_DEVICES leaves), cpu, "
                   "or auto (cuda when this build has CUDA and the node a GPU, else cpu)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command
      ->add_option("--threads-per-rank", settings->threads_per_rank,
                   "intra-op threads per job (default: the node's cores over its worker ranks)")
      ->check(CLI::Range(1, 4096));
  command
      ->add_option("--max-attempts", settings->max_attempts,
                   "tries of a job whose attempts are lost, crash or time out")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command
      ->add_option("--worker-timeout", settings->worker_timeout_s,
                   "seconds without a heartbeat before a busy worker's attempt counts as lost")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  command->footer(
      "Exit codes: 0 all jobs done, 1 some jobs failed, 2 bad input (nothing stored), 3 store "
      "error or batch held by another coordinator, 4 MPI could not start or no worker could run "
      "a job (--device cuda without a GPU), 70 internal error (a "
      "bug), 130 interrupted or drained (resume finishes the batch). Under mpirun rank 0 "
      "coordinates and every other rank runs jobs; pass --bind-to none (scripts/mpirun.sh "
      "does).");
}

bool ApplySweepOptions(const std::string& job_timeout, const std::string& job_memory,
                       const std::string& db_path, SweepSettings* settings) {
  if (settings->device == "cuda" && !BuiltWithCuda()) {
    PrintError("--device cuda: this build of attnsweep has no CUDA (LibTorch " + LibTorchVersion() +
               ", CPU only); build it against a CUDA LibTorch (docs/gpu.md) or use --device cpu");
    return false;
  }
  if (!job_timeout.empty()) {
    auto seconds = ParseDurationSeconds(job_timeout);
    if (!seconds) {
      PrintError("--job-timeout: '" + job_timeout + "' is not a duration such as 90s, 30m or 2h");
      return false;
    }
    settings->job_timeout_s = *seconds;
  }
  if (!job_memory.empty()) {
    if (const std::string problem = JobMemoryCapProblem(job_memory); !problem.empty()) {
      PrintError("--job-memory: " + problem);
      return false;
    }
    settings->job_memory_bytes = *ParseSizeBytes(job_memory);
  }
  settings->log_root = JobLogRoot(db_path);
  settings->checkpoint_root = CheckpointRoot(db_path);
  return true;
}

bool PrepareJobsData(const std::vector<JobPlan>& plans) {
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
      PrintError(e.what());
      return false;
    }
  }
  return true;
}

std::string FailuresByKind(ResultStore& store, int64_t batch_id) {
  std::map<std::string, int> kinds;
  int failed = 0;
  for (const JobRecord& job : store.JobsWithMetrics(batch_id, "failed")) {
    ++kinds[job.error_kind.empty() ? "error" : job.error_kind];
    ++failed;
  }
  std::string text = std::to_string(failed) + " failed:";
  for (const auto& [kind, count] : kinds) {
    text += (text.back() == ':' ? " " : ", ") + std::to_string(count) + " " + kind;
  }
  return text;
}

std::string RetryFailedHint(int64_t batch_id, const std::string& db_path) {
  return "run the failed jobs again with: attnsweep resume " + std::to_string(batch_id) +
         " --retry-failed --db " + db_path + " (`attnsweep jobs " + std::to_string(batch_id) +
         " --status failed` says why each failed)";
}

int CoordinateAndReport(SweepRanks& ranks, ResultStore& store, int64_t batch_id,
                        const SweepSettings& settings, const std::string& db_path) {
  const auto summary = store.FindBatch(batch_id);
  spdlog::info("batch {} '{}': {} pending of {} jobs, {} worker rank{} x {} threads, store {}",
               batch_id, summary->name, summary->pending, summary->total, ranks.worker_ranks(),
               ranks.worker_ranks() == 1 ? "" : "s", ranks.ThreadsPerJob(settings), db_path);
  store.SetBatchWorkers(batch_id, ranks.worker_ranks());
  const SweepReport report = ranks.Coordinate(store, batch_id, settings);
  const auto after = store.FindBatch(batch_id);
  switch (report.end) {
    case SweepEnd::kFinished:
      spdlog::info(
          "batch {} finished: {} done, {} failed in all. See: attnsweep results {} --db {}",
          batch_id, after->done, after->failed, batch_id, db_path);
      if (after->failed > 0) {
        spdlog::info("{}; {}", FailuresByKind(store, batch_id), RetryFailedHint(batch_id, db_path));
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
  return report.exit_code;
}

}  // namespace attnsweep
