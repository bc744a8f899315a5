#include "workers/stored_jobs.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "experiments/job_progress_json.h"

namespace attnsweep {

JobPlan PlanOfStoredJob(const JobRecord& job) {
  if (auto plan = JobPlan::FromJson(job.plan)) return *plan;
  // Stored by a build that kept no plans: computed now from the config (MakeJobPlan leaves what an
  // older config cannot tell at its default).
  const nlohmann::json config = nlohmann::json::parse(job.config, nullptr, false);
  const nlohmann::json limits = nlohmann::json::parse(job.limits, nullptr, false);
  JobPlan plan;
  try {
    plan = MakeJobPlan(config, limits.is_object() ? limits : nlohmann::json::object());
  } catch (const nlohmann::json::exception&) {
    plan.task = plan.cost_group = "?";  // not even a task: the job itself will say what is wrong
  }
  // Those builds stored `cost` in microsecond-like units, only to order jobs: kept for that, as
  // seconds, where today's estimate knows nothing.
  if (plan.estimate_s <= 0) plan.estimate_s = job.cost * 1e-6;
  return plan;
}

double EstimateOfWhatRan(const JobPlan& plan, const std::optional<JobProgress>& progress) {
  if (!progress || progress->epochs <= 0) return plan.estimate_s;
  const bool stopped = plan.early_stopping && progress->epoch < progress->epochs;
  const bool resumed = progress->first_epoch > 1;
  if (!stopped && !resumed) return plan.estimate_s;
  const int64_t last = stopped ? progress->epoch : progress->epochs;
  const int64_t ran = std::max<int64_t>(1, last - progress->first_epoch + 1);
  return plan.estimate_s * static_cast<double>(ran) / static_cast<double>(progress->epochs);
}

CostModel CostModelFromStore(ResultStore& store) {
  std::vector<CostObservation> history;
  for (const auto& time : store.DoneJobTimes()) {
    if (auto plan = JobPlan::FromJson(time.plan)) {
      history.push_back({time.job_key, plan->cost_group,
                         EstimateOfWhatRan(*plan, JobProgressFromText(time.progress)),
                         time.seconds});
    }
  }
  return CostModel(history);
}

std::optional<double> BatchEtaSeconds(ResultStore& store, int64_t batch_id,
                                      const CostModel& model) {
  const auto unfinished = store.UnfinishedJobTimes(batch_id);
  if (unfinished.empty()) return std::nullopt;
  std::vector<UnfinishedJob> jobs;
  for (const auto& time : unfinished) {
    const auto plan = JobPlan::FromJson(time.plan);
    if (!plan) return std::nullopt;  // a batch stored before plans were: no estimate
    UnfinishedJob job;
    job.expected_s = model.Estimate(time.job_key, plan->cost_group, plan->estimate_s);
    job.needs_node = plan->needs_node;
    job.running = time.running;
    job.elapsed_s = time.seconds;
    job.progress = JobProgressFromText(time.progress);
    jobs.push_back(std::move(job));
  }
  return RemainingMakespan(
      jobs, WorkersOverNodes(store.BatchWorkers(batch_id), store.BatchNodes(batch_id)));
}

}  // namespace attnsweep
