// Which pending job goes next, and where: the coordinator's policy as plain code, tested without a
// transport (tests/scheduler_test.cc). The coordinator's loop handles messages and the store and
// asks the scheduler; the scheduler knows nothing of either.
//
// Rules:
// - Longest first, by the cost model's estimate (ties: the order jobs were added), so a sweep does
//   not end waiting on one long straggler.
// - A job is not given to a rank it already failed on while another rank could take it... unless
//   nothing else is left for that rank (then it goes there rather than idle it).
// - A job that needs its node (an exclusive benchmark) starts only on an idle node, and nothing
//   starts beside it.
// - Retry budget: a crash, a timeout or a lost attempt is tried again within the job's
//   max_attempts (its experiment's `limits`, else the sweep's); other failures are not.
//
// Not thread-safe: the coordinator's loop is its only user.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "experiments/job_plan.h"
#include "store/result_store.h"

namespace attnsweep {

struct ScheduledJob {
  JobRecord record;
  JobPlan plan;
  double estimate_s = 0;  // the cost model's, at the time it was queued
};

class Scheduler {
 public:
  explicit Scheduler(int default_max_attempts) : default_max_attempts_(default_max_attempts) {}

  // Queues a job (pending, or back from a failed attempt).
  void Add(ScheduledJob job);
  // The job `rank` on `host` should start now, removed from the queue; nullopt when none may.
  std::optional<ScheduledJob> Next(int rank, const std::string& host);
  // A job started on, or left, `host` (whether it needs its node decides what may join it).
  void Started(const std::string& host, const JobPlan& plan);
  void Ended(const std::string& host, const JobPlan& plan);
  // Jobs running on `host` now.
  int RunningOn(const std::string& host) const;

  // An attempt of `job_id` failed on `rank`: later attempts prefer other ranks.
  void FailedOn(int64_t job_id, int rank);
  // Whether an attempt that ended with `outcome` (an attempts.outcome name) is tried again, when
  // the job already has `counted_attempts` attempts that count against its budget (crash,
  // timeout, lost), this one included.
  bool ShouldRetry(const JobPlan& plan, const std::string& outcome, int counted_attempts) const;
  // Whether an attempt that ended with `outcome` is tried again within the job's budget
  // (the counted outcomes of experiments/base/attempt_outcomes.h may be the machine's fault; a
  // final one, such as an error or oom, would only happen again).
  static bool Retriable(const std::string& outcome);
  int MaxAttempts(const JobPlan& plan) const;

  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }
  // The queued jobs, longest first (the ETA reads their estimates and whether they need a node).
  const std::deque<ScheduledJob>& queued() const { return queue_; }

 private:
  struct Node {
    int running = 0;
    int needing_node = 0;
  };
  std::deque<ScheduledJob> queue_;  // longest first
  std::map<std::string, Node> nodes_;
  std::map<int64_t, std::vector<int>> failed_on_;
  int default_max_attempts_;
};

}  // namespace attnsweep
