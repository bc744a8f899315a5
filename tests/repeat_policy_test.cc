// The benchmark's adaptive repeats on made-up times: quiet times stop as soon as the median's
// interval can be narrow (6 passes at 95 %), scattered times run to a cap and are noisy.
#include "experiments/repeat_policy.h"

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

// Feeds `times` (cycled) until the timing wants no more; returns how many it took.
int PassesTaken(RepeatedTiming* timing, const std::vector<double>& times) {
  for (size_t i = 0;; ++i) {
    if (!timing->Add(times[i % times.size()])) return static_cast<int>(i + 1);
  }
}

TEST(RepeatPolicy, QuietTimesStopAtTheFirstNarrowInterval) {
  RepeatedTiming timing({5, 50, 10, 0.05});
  // Within ±2 %: at 6 passes the interval is [min, max] (coverage 1 - 2/64), narrow enough.
  EXPECT_EQ(PassesTaken(&timing, {10.0, 10.1, 9.9, 10.2, 9.8, 10.0}), 6);
  EXPECT_FALSE(timing.noisy());
  EXPECT_TRUE(timing.median().reaches_confidence);
  EXPECT_DOUBLE_EQ(timing.median().lo, 9.8);
  EXPECT_DOUBLE_EQ(timing.median().hi, 10.2);
  // More asked for than 6: the minimum holds.
  RepeatedTiming more({12, 50, 10, 0.05});
  EXPECT_EQ(PassesTaken(&more, {10.0, 10.1, 9.9}), 12);
}

TEST(RepeatPolicy, AnOutlierCostsPassesUntilTheRanksLeaveItOut) {
  // One pass 3x slower: up to n = 8 the 95 % interval is [min, max], which holds it; at n = 9
  // ranks 2 and 8 reach 95 % (coverage 1 - 2 * 10/512) and leave it out.
  RepeatedTiming timing({5, 50, 10, 0.05});
  EXPECT_EQ(PassesTaken(&timing, {10, 10, 30, 10, 10, 10, 10, 10}), 9);
  EXPECT_FALSE(timing.noisy());
  EXPECT_DOUBLE_EQ(timing.median().hi, 10);
}

TEST(RepeatPolicy, ScatteredTimesRunToACapAndAreNoisy) {
  RepeatedTiming by_count({5, 20, 1000, 0.05});
  EXPECT_EQ(PassesTaken(&by_count, {10, 20}), 20);
  EXPECT_TRUE(by_count.noisy());
  EXPECT_LT(by_count.median().lo, by_count.median().median * 0.95);
  // 100 and 200 ms passes against a 1 s budget: 100 + 200 + 100 + 200 + 100 + 200 + 100 = 1000 ms
  // at the 7th.
  RepeatedTiming by_time({5, 1000, 1.0, 0.05});
  EXPECT_EQ(PassesTaken(&by_time, {100, 200}), 7);
  EXPECT_TRUE(by_time.noisy());
  // The minimum is timed whatever the budget says.
  RepeatedTiming minimum({5, 1000, 0.001, 0.05});
  EXPECT_EQ(PassesTaken(&minimum, {100, 200}), 5);
  EXPECT_TRUE(minimum.noisy());
}

}  // namespace
}  // namespace attnsweep
