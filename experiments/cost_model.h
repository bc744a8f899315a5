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
#include <string>
#include <vector>

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

// When `remaining_s` (each unfinished job's expected remaining seconds) will be done on `workers`
// workers: a longest-first greedy schedule's makespan, which is never below the largest job nor
// below the total over the workers.
double RemainingMakespan(std::vector<double> remaining_s, int workers);

}  // namespace attnsweep
