// What a grid would cost before it runs (`run --dry-run`): each job's expected seconds by the cost
// model — learned from the store's done jobs where there is a store — which jobs already have a
// done result there (what `--reuse` would take instead of running them), and how long the jobs left
// to run would take on a number of worker ranks.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "experiments/grid.h"
#include "store/result_store.h"

namespace attnsweep {

struct JobCostEstimate {
  double seconds = 0;  // expected wall seconds of a run of it
  // What the figure rests on (CostModel::Basis): "same job", "group", "task", "store", "analytic".
  std::string basis;
  int64_t done_in_batch = 0;  // a done result of the same job is in this batch; 0: none
};

struct SweepCostEstimate {
  std::vector<JobCostEstimate> jobs;  // one per grid job, in its order
  size_t history = 0;                 // done jobs the cost model learned from
  std::set<int64_t> done_batches;     // the batches holding the done results
  int64_t already_done = 0;           // jobs with a done result in the store
};

// Each job's estimate; `store` may be null (no store yet: analytic estimates only).
SweepCostEstimate EstimateSweepCost(const std::vector<JobSpec>& jobs, ResultStore* store);

// Seconds until the jobs run are done on `workers` worker ranks of one node (the greedy schedule of
// RemainingMakespan: longest first; a job that needs its node alone there). With `reuse`, the jobs
// with a done result are not run.
double SweepMakespanSeconds(const std::vector<JobSpec>& jobs, const SweepCostEstimate& estimate,
                            bool reuse, int workers);

// The jobs' estimates added up: what they would take one after another.
double SweepWorkSeconds(const SweepCostEstimate& estimate, bool reuse);

}  // namespace attnsweep
