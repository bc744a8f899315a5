#include "workers/local_sweep.h"

#include <chrono>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "experiments/job_runner.h"
#include "workers/interrupts.h"
#include "workers/progress.h"

namespace attnsweep {
namespace {

// "speed #12 [softmax, max_len=1024, seed=1]": enough to recognise a job in a log.
std::string Describe(const JobRecord& job, const nlohmann::json& config) {
  std::string text = job.experiment + " #" + std::to_string(job.id) + " [" +
                     config.value("task", std::string("?"));
  if (config.contains("model")) text += ", " + config["model"].value("attention", std::string());
  if (config.contains("data"))
    text += ", max_len=" + std::to_string(config["data"].value("max_len", 0));
  text += ", seed=" + std::to_string(config.value("seed", 0)) + "]";
  return text;
}

std::vector<Metric> ToMetrics(const JobOutput& output) {
  std::vector<Metric> metrics;
  for (const auto& [name, value] : output.metrics) metrics.push_back({name, value});
  return metrics;
}

std::vector<CurvePoint> ToCurves(const JobOutput& output) {
  std::vector<CurvePoint> curves;
  for (const auto& c : output.curves) curves.push_back({c.step, c.name, c.value});
  return curves;
}

}  // namespace

SweepReport RunLocalSweep(ResultStore& store, int64_t batch_id, const SweepOptions& options) {
  SweepReport report;
  const std::vector<JobRecord> pending = store.PendingJobs(batch_id);
  double total_cost = 0;
  for (const auto& job : pending) total_cost += job.cost;
  ProgressLine progress(static_cast<int64_t>(pending.size()), total_cost);
  JobContext context;
  context.threads = options.place.threads;
  context.stop_requested = [] { return InterruptRequested(); };

  for (const JobRecord& job : pending) {
    if (InterruptRequested()) break;
    const int attempt = store.StartAttempt(job.id, options.place);
    if (attempt == 0) continue;  // no longer pending
    const nlohmann::json config = nlohmann::json::parse(job.config);
    const std::string name = Describe(job, config);
    progress.ClearForLog();
    spdlog::debug("start {} (attempt {})", name, attempt);
    progress.Print();

    const auto start = std::chrono::steady_clock::now();
    const JobOutput output = RunJob(config, context);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    progress.ClearForLog();
    if (output.outcome == JobOutcome::kDone) {
      if (store.CommitResult(job.id, attempt, ToMetrics(output), ToCurves(output))) {
        ++report.done;
        progress.JobFinished(true, job.cost);
        spdlog::info("[{}] done {} in {:.2f} s", progress.Count(), name, seconds);
      }
    } else if (output.outcome == JobOutcome::kInterrupted) {
      // Not the job's fault: back to pending, to run again on resume.
      store.RecordFailure(job.id, attempt, JobOutcomeName(output.outcome), output.error, true);
      spdlog::warn("interrupted {}; it stays pending", name);
    } else {
      store.RecordFailure(job.id, attempt, JobOutcomeName(output.outcome), output.error, false);
      ++report.failed;
      progress.JobFinished(false, job.cost);
      spdlog::error("[{}] {} {}: {}", progress.Count(), JobOutcomeName(output.outcome), name,
                    output.error);
    }
    progress.Print();
  }
  progress.Finish();

  // A stop that came after the last job finished leaves nothing undone: the batch is complete.
  report.interrupted = InterruptRequested() && store.FindBatch(batch_id)->pending > 0;
  store.FinishBatch(batch_id, report.interrupted  ? "interrupted"
                              : report.failed > 0 ? "failed"
                                                  : "done");
  return report;
}

}  // namespace attnsweep
