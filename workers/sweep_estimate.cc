#include "workers/sweep_estimate.h"

#include "workers/cost_model.h"
#include "workers/stored_jobs.h"

namespace attnsweep {
namespace {

bool Runs(const JobCostEstimate& job, bool reuse) { return !reuse || job.done_in_batch == 0; }

}  // namespace

SweepCostEstimate EstimateSweepCost(const std::vector<JobSpec>& jobs, ResultStore* store) {
  SweepCostEstimate estimate;
  CostModel model;
  std::map<std::string, int64_t> done;
  if (store != nullptr) {
    model = CostModelFromStore(*store);
    std::vector<std::string> keys;
    for (const auto& job : jobs) keys.push_back(job.job_key);
    done = store->DoneResultBatches(keys);
  }
  estimate.history = model.observations();
  for (const auto& job : jobs) {
    JobCostEstimate cost;
    cost.seconds = model.Estimate(job.job_key, job.plan.cost_group, job.plan.estimate_s);
    cost.basis = model.Basis(job.job_key, job.plan.cost_group);
    if (auto found = done.find(job.job_key); found != done.end()) {
      cost.done_in_batch = found->second;
      estimate.done_batches.insert(found->second);
      ++estimate.already_done;
    }
    estimate.jobs.push_back(std::move(cost));
  }
  return estimate;
}

double SweepMakespanSeconds(const std::vector<JobSpec>& jobs, const SweepCostEstimate& estimate,
                            bool reuse, int workers) {
  std::vector<UnfinishedJob> pending;
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (!Runs(estimate.jobs[j], reuse)) continue;
    UnfinishedJob job;
    job.expected_s = estimate.jobs[j].seconds;
    job.needs_node = jobs[j].plan.needs_node;
    pending.push_back(job);
  }
  return RemainingMakespan(pending, WorkersOverNodes(workers, 1));
}

double SweepWorkSeconds(const SweepCostEstimate& estimate, bool reuse) {
  double seconds = 0;
  for (const auto& job : estimate.jobs) seconds += Runs(job, reuse) ? job.seconds : 0;
  return seconds;
}

}  // namespace attnsweep
