// What the store's job rows mean to the running side: each row's plan, the cost model learned from
// the rows already done, and a batch's ETA. The store keeps plans as JSON text and knows nothing of
// them; this is where that text is read.
#pragma once

#include <optional>

#include "experiments/job_plan.h"
#include "store/result_store.h"
#include "workers/cost_model.h"

namespace attnsweep {

// The job's plan as stored; a job stored before plans were gets one computed from its config.
JobPlan PlanOfStoredJob(const JobRecord& job);

// The analytic estimate (plan.estimate_s, for all its epochs) of what a done job's last attempt
// ran, as its last `progress` says: a fraction of it where a scheduler stopped the job early, or
// where the attempt resumed it past epoch 1. (A job that early stopping on patience ended keeps
// the whole estimate: the next job of that recipe will likely stop early too.)
double EstimateOfWhatRan(const JobPlan& plan, const std::optional<JobProgress>& progress);

// A cost model that has learned from every done job in the store (any batch).
CostModel CostModelFromStore(ResultStore& store);

// Seconds until the batch's pending and running jobs are done on the workers its run has, by the
// cost model; nullopt when nothing is left.
std::optional<double> BatchEtaSeconds(ResultStore& store, int64_t batch_id, const CostModel& model);

}  // namespace attnsweep
