// The table of attempt outcomes (experiments/base/attempt_outcomes.h) and what reads it: the job
// contract's names and the store's retry rules. That the store's CHECK takes exactly the table's
// names is StoreTest.AttemptsTakeEveryOutcomeOfTheTableAndNoOther.
#include "experiments/base/attempt_outcomes.h"

#include <gtest/gtest.h>

#include <string>

#include "experiments/job_contract.h"
#include "store/attempt_outcomes.h"

namespace attnsweep {
namespace {

TEST(AttemptOutcomesTest, EveryJobSideNameRoundTripsAndTheCoordinatorsOwnAreNoJobOutcome) {
  int job_side = 0;
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    SCOPED_TRACE(row.name);
    const std::optional<JobOutcome> parsed = JobOutcomeFromName(row.name);
    if (row.decided_by == OutcomeDecider::kCoordinator) {
      EXPECT_FALSE(parsed.has_value()) << "no job reports the coordinator's own outcomes";
      continue;
    }
    ++job_side;
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, *row.job);
    EXPECT_STREQ(JobOutcomeName(*parsed), row.name);
  }
  EXPECT_EQ(job_side, static_cast<int>(JobOutcome::kTimeout) + 1) << "one row per JobOutcome";
  EXPECT_FALSE(JobOutcomeFromName("vanished").has_value());
  EXPECT_FALSE(JobOutcomeFromName("").has_value());
}

TEST(AttemptOutcomesTest, TheStoresRulesAreTheTables) {
  std::string counted = "(";
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(CountsAgainstAttempts(row.name), row.retry == OutcomeRetry::kCounted);
    EXPECT_EQ(MayRunAgainAfter(row.name), row.retry != OutcomeRetry::kFinal);
    if (row.retry == OutcomeRetry::kCounted) {
      counted += std::string(counted.size() > 1 ? ", '" : "'") + row.name + "'";
    }
  }
  EXPECT_EQ(CountedOutcomesSql(), counted + ")");
  EXPECT_FALSE(CountsAgainstAttempts("vanished"));
  EXPECT_FALSE(MayRunAgainAfter("vanished"));
}

// The rules as the scheduler and resume rely on them (store/attempt_outcomes.h,
// workers/scheduler.h): spelled out here so that a change to the table's rules is a visible change
// to this test.
TEST(AttemptOutcomesTest, TheRulesAsTheRestOfAttnsweepReliesOnThem) {
  for (const char* name : {"crash", "timeout", "killed", "lost", "rank_died"}) {
    EXPECT_TRUE(CountsAgainstAttempts(name)) << name;
    EXPECT_TRUE(MayRunAgainAfter(name)) << name;
  }
  for (const char* name : {"interrupted", "abandoned", "worker_fault"}) {
    EXPECT_FALSE(CountsAgainstAttempts(name)) << name;
    EXPECT_TRUE(MayRunAgainAfter(name)) << name;
  }
  for (const char* name : {"done", "error", "oom", "diverged", "invalid"}) {
    EXPECT_FALSE(CountsAgainstAttempts(name)) << name;
    EXPECT_FALSE(MayRunAgainAfter(name)) << name;
  }
  for (const char* name : {"crash", "killed", "timeout", "worker_fault"}) {
    EXPECT_EQ(FindAttemptOutcome(name)->decided_by, OutcomeDecider::kWatcher) << name;
  }
  for (const char* name : {"lost", "abandoned", "rank_died"}) {
    EXPECT_EQ(FindAttemptOutcome(name)->decided_by, OutcomeDecider::kCoordinator) << name;
  }
}

}  // namespace
}  // namespace attnsweep
