// How long a job will take, learned from the jobs already done (in any batch of the store) and
// falling back to the analytic estimate of its task where there is no history. Used for the order
// of dispatch (longest first) and for the ETA of a sweep.
//
// The analytic estimate (TaskDefinition::estimate_seconds) already scales with what matters — the
// variant's mixing cost against the length, epochs and customers for training — but its constant
// is a guess. The model corrects it per cost group ("train/softmax"): log(seconds) is fitted
// against log(estimate) by least squares once the group's history spans a factor of two in its
// estimates (the slope bounded to [0.5, 2]), and with a slope of one (a median ratio) before that.
// A group with no history borrows its task's fit, then the whole store's median ratio. A job whose
// very key has been done before takes the median of its own past times.
//
// Times are wall seconds from assignment to result, so they include starting a job process; they
// are not normalised for threads.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "experiments/job_contract.h"

namespace attnsweep {

struct CostObservation {
  std::string job_key;
  std::string cost_group;  // "train/softmax"; the task is what comes before '/'
  double estimate_s = 0;   // the analytic estimate
  double seconds = 0;      // what it took
};

class CostModel {
 public:
  CostModel() = default;
  explicit CostModel(const std::vector<CostObservation>& history);

  void Observe(const CostObservation& observation);
  // Seconds the job is expected to take.
  double Estimate(const std::string& job_key, const std::string& cost_group,
                  double estimate_s) const;
  // What Estimate would rest on for this job: "same job", "group", "task", "store" or "analytic".
  std::string Basis(const std::string& job_key, const std::string& cost_group) const;
  size_t observations() const { return count_; }

 private:
  // Observations of one group, fitted when first asked after a change (a store's whole history
  // is added before anything is estimated: fitting on every addition would be quadratic).
  class Fit {
   public:
    void Add(double log_estimate, double log_seconds);
    double Predict(double log_estimate) const;
    // The median of log(seconds / estimate): the fit with a slope of one.
    double MedianLogRatio() const;

   private:
    void Refit() const;
    std::vector<double> log_estimates_, log_seconds_;
    mutable bool stale_ = false;
    mutable double intercept_ = 0, slope_ = 1, median_log_ratio_ = 0;
  };
  const Fit* FitFor(const std::string& cost_group) const;

  std::map<std::string, std::vector<double>> by_key_;
  std::map<std::string, Fit> by_group_;
  std::map<std::string, Fit> by_task_;
  Fit all_;
  size_t count_ = 0;
};

// One job of a batch that is not finished, as the ETA sees it (the coordinator from what it holds,
// `status` from the store: both through the functions below).
struct UnfinishedJob {
  double expected_s = 0;    // the cost model's estimate of its whole run
  bool needs_node = false;  // runs alone on its node (its GPU, on GPUs): one at a time there
  bool running = false;
  double elapsed_s = 0;  // running: seconds since its attempt started
  // Running: how far it has got, as it last said; none for a job that has said nothing.
  std::optional<JobProgress> progress;
};

// Seconds the job still needs. Pending: its estimate. Running at epoch k of N: the pace this
// attempt has kept (elapsed / the epochs it ran) times the N - k epochs left, plus a tenth of an
// epoch for the test evaluation after the last. Running without progress: what is left of its
// estimate, but never under a tenth of the larger of its estimate and its time so far: a job that
// runs is not done, and one that has outrun its estimate has shown the estimate short.
double RemainingSeconds(const UnfinishedJob& job);

// No schedule finishes `jobs` sooner on nodes of `node_workers` workers each: not before the
// longest job's remaining time; not before all the work spread over every worker, a job that needs
// its node counting as the whole node's (the fewest workers of any node); not before the work of
// the jobs that need their node spread over the nodes (one at a time on each).
double RemainingLowerBound(const std::vector<UnfinishedJob>& jobs,
                           const std::vector<int>& node_workers);

// Seconds until `jobs` are done on nodes of `node_workers` workers each: the makespan of a greedy
// schedule (running jobs hold their workers from now; the rest longest first, each on the worker
// free first; a job that needs its node on the node free first, all of it), never below
// RemainingLowerBound. 0 for no jobs.
double RemainingMakespan(const std::vector<UnfinishedJob>& jobs,
                         const std::vector<int>& node_workers);

// `workers` spread as evenly as they go over `nodes` (at least one of each): what the store, which
// keeps the counts of a batch's run, says of its nodes.
std::vector<int> WorkersOverNodes(int workers, int nodes);

}  // namespace attnsweep
