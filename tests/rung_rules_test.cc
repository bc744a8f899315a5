// The early-stopping rules (experiments/rung_rules.h) against worked examples: ASHA's rungs, its top
// 1/reduction with figures arriving one by one (ties go on), groups apart, a repeated report, the
// direction of the figure; the median rule.
#include "experiments/rung_rules.h"

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

RungRule Asha(int64_t grace, int64_t max_epochs, int64_t reduction, bool higher = true) {
  RungRule rule;
  rule.grace = grace;
  rule.max_epochs = max_epochs;
  rule.reduction = reduction;
  rule.higher_is_better = higher;
  return rule;
}

TEST(RungRules, AshaRungsAreGraceTimesPowersOfTheReductionBelowTheLastEpoch) {
  EXPECT_EQ(RungEpochs(Asha(1, 27, 3)), (std::vector<int64_t>{1, 3, 9}));
  EXPECT_EQ(RungEpochs(Asha(2, 20, 2)), (std::vector<int64_t>{2, 4, 8, 16}));
  EXPECT_EQ(RungEpochs(Asha(5, 5, 3)), (std::vector<int64_t>{}));
  RungRule median = Asha(2, 5, 3);
  median.type = RungRule::Type::kMedian;
  EXPECT_EQ(RungEpochs(median), (std::vector<int64_t>{2, 3, 4}));
}

TEST(RungRules, AshaKeepsTheTopThirdOfWhatHasReachedTheRungSoFar) {
  RungJudge judge(Asha(1, 27, 3));
  // Reports at epoch 1, in the order the coordinator hears them: (job, figure, goes on, better,
  // allowed). The top ceil(n / 3) of the n figures so far go on; a tie is not better.
  struct Step {
    int64_t job;
    double value;
    bool go_on;
    int64_t better, allowed;
  };
  const Step steps[] = {
      {1, 0.60, true, 0, 1},   // alone: the best so far
      {2, 0.55, false, 1, 1},  // 2 reached, 1 goes on: job 1 is better
      {3, 0.70, true, 0, 1},   // the best of 3
      {4, 0.65, true, 1, 2},   // 4 reached: 2 go on, only 0.70 is better
      {5, 0.50, false, 4, 2},  // the worst of 5
      {6, 0.65, true, 1, 2},   // ties job 4: 0.65 is not better than 0.65
  };
  for (const Step& step : steps) {
    SCOPED_TRACE("job " + std::to_string(step.job));
    const RungDecision d = judge.Report("softmax", step.job, 1, step.value);
    EXPECT_TRUE(d.judged);
    EXPECT_EQ(d.go_on, step.go_on);
    EXPECT_EQ(d.better, step.better);
    EXPECT_EQ(d.allowed, step.allowed);
    EXPECT_EQ(d.reached, step.job);
  }
  // 7 reached, the top 3 go on: the line is the 3rd best figure, 0.65.
  const RungDecision seventh = judge.Report("softmax", 7, 1, 0.66);
  EXPECT_EQ(seventh.allowed, 3);
  EXPECT_EQ(seventh.threshold, 0.65);
  EXPECT_TRUE(seventh.go_on);
  // Not a rung: nothing decided.
  EXPECT_FALSE(judge.Report("softmax", 1, 2, 0.1).judged);
  EXPECT_TRUE(judge.Report("softmax", 1, 2, 0.1).go_on);
  // A resumed attempt reports epoch 1 again: the same decision, not a second figure.
  const RungDecision again = judge.Report("softmax", 2, 1, 0.55);
  EXPECT_FALSE(again.go_on);
  EXPECT_EQ(again.reached, 2);
  // Another group starts afresh: its first report goes on, however low.
  EXPECT_TRUE(judge.Report("performer", 1, 1, 0.10).go_on);
  // The next rung (epoch 3) is judged among those that reached it.
  EXPECT_TRUE(judge.Report("softmax", 3, 3, 0.71).go_on);
  EXPECT_FALSE(judge.Report("softmax", 1, 3, 0.61).go_on);
  EXPECT_EQ(judge.Report("softmax", 1, 3, 0.61).reason,
            "epoch 3: 1 job of 2 better, the top 1 go on");
}

TEST(RungRules, AsynchronousArrivalDecidesOnWhatHasArrived) {
  // The same figures in another order: the first to arrive always goes on (ASHA never waits for a
  // rung to fill), so job 2 goes on here though it stopped above.
  RungJudge judge(Asha(1, 27, 3));
  EXPECT_TRUE(judge.Report("g", 2, 1, 0.55).go_on);
  EXPECT_TRUE(judge.Report("g", 1, 1, 0.60).go_on);
  EXPECT_TRUE(judge.Report("g", 3, 1, 0.70).go_on);
  EXPECT_FALSE(judge.Report("g", 4, 1, 0.50).go_on);
}

TEST(RungRules, ALossIsBetterLower) {
  RungJudge judge(Asha(1, 9, 3, /*higher=*/false));
  EXPECT_TRUE(judge.Report("g", 1, 1, 2.0).go_on);
  EXPECT_FALSE(judge.Report("g", 2, 1, 2.5).go_on);
  EXPECT_TRUE(judge.Report("g", 3, 1, 1.5).go_on);
}

TEST(RungRules, MedianStopsAJobWorseThanTheMedianOfItsGroupAtThatEpoch) {
  RungRule rule = Asha(2, 10, 3);
  rule.type = RungRule::Type::kMedian;
  RungJudge judge(rule);
  EXPECT_FALSE(judge.Report("g", 1, 1, 0.1).judged) << "before grace";
  EXPECT_TRUE(judge.Report("g", 1, 2, 0.60).go_on) << "the first at epoch 2";
  EXPECT_TRUE(judge.Report("g", 2, 2, 0.70).go_on) << "above the median of {0.60}";
  // Others {0.60, 0.70}: median 0.65.
  const RungDecision below = judge.Report("g", 3, 2, 0.64);
  EXPECT_FALSE(below.go_on);
  EXPECT_DOUBLE_EQ(below.threshold, 0.65);
  EXPECT_EQ(below.reason, "epoch 2: worse than the median of 2 other jobs");
  // Others {0.60, 0.70, 0.64}: median 0.64; a tie goes on.
  EXPECT_TRUE(judge.Report("g", 4, 2, 0.64).go_on);
}

}  // namespace
}  // namespace attnsweep
