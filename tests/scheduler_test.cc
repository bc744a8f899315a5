// The scheduler's rules, without a transport or a store: which job goes next, and where.
#include "workers/scheduler.h"

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

ScheduledJob Job(int64_t id, double estimate_s, bool needs_node = false) {
  ScheduledJob job;
  job.record.id = id;
  job.plan.task = needs_node ? "benchmark" : "sleep";
  job.plan.needs_node = needs_node;
  job.estimate_s = estimate_s;
  return job;
}

std::vector<int64_t> Drain(Scheduler& scheduler, int rank = 1, const std::string& host = "h") {
  std::vector<int64_t> ids;
  while (auto job = scheduler.Next(rank, host)) ids.push_back(job->record.id);
  return ids;
}

TEST(Scheduler, LongestFirstAndTiesInTheOrderAdded) {
  Scheduler scheduler(2);
  for (auto [id, estimate] :
       std::vector<std::pair<int64_t, double>>{{1, 5}, {2, 50}, {3, 1}, {4, 20}, {5, 20}, {6, 7}}) {
    scheduler.Add(Job(id, estimate));
  }
  EXPECT_EQ(Drain(scheduler), (std::vector<int64_t>{2, 4, 5, 6, 1, 3}));
  EXPECT_TRUE(scheduler.empty());
}

TEST(Scheduler, AJobBackFromAFailedAttemptKeepsItsPlaceByLength) {
  Scheduler scheduler(2);
  scheduler.Add(Job(1, 10));
  scheduler.Add(Job(2, 1));
  auto first = scheduler.Next(1, "h");
  ASSERT_TRUE(first);
  scheduler.Add(Job(3, 5));
  scheduler.Add(*first);  // back after a crash: still the longest
  EXPECT_EQ(Drain(scheduler), (std::vector<int64_t>{1, 3, 2}));
}

TEST(Scheduler, ANodeNeedingJobWaitsForAnIdleNodeAndNothingJoinsIt) {
  Scheduler scheduler(2);
  scheduler.Add(Job(1, 100, /*needs_node=*/true));
  scheduler.Add(Job(2, 10));
  scheduler.Add(Job(3, 1));
  // Something already runs on host a: the benchmark waits, a shorter job starts instead.
  scheduler.Started("a", Job(9, 1).plan);
  auto on_busy = scheduler.Next(1, "a");
  ASSERT_TRUE(on_busy);
  EXPECT_EQ(on_busy->record.id, 2);
  // An idle host b takes the benchmark; then nothing else may start on b.
  auto on_idle = scheduler.Next(2, "b");
  ASSERT_TRUE(on_idle);
  EXPECT_EQ(on_idle->record.id, 1);
  scheduler.Started("b", on_idle->plan);
  EXPECT_FALSE(scheduler.Next(3, "b"));
  EXPECT_EQ(scheduler.size(), 1u);
  scheduler.Ended("b", on_idle->plan);
  auto after = scheduler.Next(3, "b");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->record.id, 3);
}

TEST(Scheduler, PrefersARankAJobHasNotFailedOnButDoesNotIdleIt) {
  Scheduler scheduler(3);
  scheduler.Add(Job(1, 100));
  scheduler.Add(Job(2, 1));
  scheduler.FailedOn(1, 4);
  // Rank 4 takes the shorter job it has not failed on.
  auto fresh = scheduler.Next(4, "h");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->record.id, 2);
  // With nothing else left, rank 4 takes the job it failed on rather than stay idle.
  auto again = scheduler.Next(4, "h");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->record.id, 1);
}

TEST(Scheduler, RetryBudget) {
  Scheduler scheduler(2);
  JobPlan plan;
  // crash, timeout and lost count against max_attempts (the sweep's 2 here).
  for (const char* outcome : {"crash", "timeout", "lost"}) {
    EXPECT_TRUE(scheduler.ShouldRetry(plan, outcome, 1)) << outcome;
    EXPECT_FALSE(scheduler.ShouldRetry(plan, outcome, 2)) << outcome;
  }
  // The job's own fault would only happen again.
  for (const char* outcome : {"error", "oom", "diverged", "invalid"}) {
    EXPECT_FALSE(scheduler.ShouldRetry(plan, outcome, 1)) << outcome;
  }
  // The experiment's limits.max_attempts wins over the sweep's.
  plan.max_attempts = 4;
  EXPECT_EQ(scheduler.MaxAttempts(plan), 4);
  EXPECT_TRUE(scheduler.ShouldRetry(plan, "crash", 3));
  EXPECT_FALSE(scheduler.ShouldRetry(plan, "crash", 4));
}

}  // namespace
}  // namespace attnsweep
