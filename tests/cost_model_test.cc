// The cost model learns from done jobs: its estimates improve with history, and the ETA's
// makespan is the greedy longest-first schedule's.
#include "experiments/cost_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace attnsweep {
namespace {

// A machine whose jobs take 0.02 * estimate^1.3 seconds, with 10 % noise: the analytic estimate
// is off by a constant and a slope, as on a real machine.
double TrueSeconds(double estimate, std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0, 0.1);
  return 0.02 * std::pow(estimate, 1.3) * std::exp(noise(rng));
}

double MeanAbsLogError(const CostModel& model, const std::vector<double>& estimates) {
  double total = 0;
  for (double e : estimates) {
    total += std::abs(std::log(model.Estimate("new", "train/softmax", e)) -
                      std::log(0.02 * std::pow(e, 1.3)));
  }
  return total / static_cast<double>(estimates.size());
}

TEST(CostModel, EstimatesImproveWithHistory) {
  std::mt19937_64 rng(7);
  const std::vector<double> unseen = {3, 30, 300, 3000};
  CostModel model;
  const double analytic = MeanAbsLogError(model, unseen);
  EXPECT_EQ(model.Basis("new", "train/softmax"), "analytic");
  for (double e : {10.0, 100.0}) {
    model.Observe({"k" + std::to_string(e), "train/softmax", e, TrueSeconds(e, rng)});
  }
  const double two = MeanAbsLogError(model, unseen);
  for (double e : {20.0, 50.0, 200.0, 500.0, 1000.0, 5.0}) {
    model.Observe({"k" + std::to_string(e), "train/softmax", e, TrueSeconds(e, rng)});
  }
  const double eight = MeanAbsLogError(model, unseen);
  EXPECT_EQ(model.Basis("new", "train/softmax"), "group");
  // Off by e^2.5 = 12x before any history; within about 10 % once the slope is fitted.
  EXPECT_GT(analytic, 1.0);
  EXPECT_LT(two, analytic);
  EXPECT_LT(eight, two);
  EXPECT_LT(eight, 0.15);
}

TEST(CostModel, TheSameJobTakesTheMedianOfItsOwnTimes) {
  CostModel model;
  for (double s : {9.0, 11.0, 10.0}) model.Observe({"same", "benchmark/softmax", 1, s});
  EXPECT_DOUBLE_EQ(model.Estimate("same", "benchmark/softmax", 1), 10.0);
  EXPECT_EQ(model.Basis("same", "benchmark/softmax"), "same job");
}

TEST(CostModel, AGroupWithoutHistoryBorrowsItsTasksThenTheStores) {
  CostModel model;
  // Every train job here ran 4x its analytic estimate.
  for (double e : {1.0, 2.0, 4.0}) model.Observe({"t" + std::to_string(e), "train/gru", e, 4 * e});
  EXPECT_EQ(model.Basis("x", "train/performer"), "task");
  EXPECT_NEAR(model.Estimate("x", "train/performer", 3), 12, 1e-6);
  // Another task has no history: the store's ratio, with a slope of one.
  EXPECT_EQ(model.Basis("x", "benchmark/softmax"), "store");
  EXPECT_NEAR(model.Estimate("x", "benchmark/softmax", 10), 40, 1e-6);
}

TEST(CostModel, SlopeIsBoundedAndNeedsASpanOfEstimates) {
  CostModel model;
  // Two points a factor 1.5 apart: too narrow for a slope, so a ratio (slope one) is used.
  model.Observe({"a", "g/x", 10, 10});
  model.Observe({"b", "g/x", 15, 100});
  model.Observe({"c", "g/x", 12, 12});
  EXPECT_NEAR(model.Estimate("z", "g/x", 100), 100 * 12.0 / 12.0, 1e-6);  // median ratio 1
}

TEST(CostModel, MakespanOfLongestFirst) {
  EXPECT_DOUBLE_EQ(RemainingMakespan({}, 3), 0);
  EXPECT_DOUBLE_EQ(RemainingMakespan({5, 1, 1}, 4), 5);        // the longest job
  EXPECT_DOUBLE_EQ(RemainingMakespan({2, 2, 2, 2}, 2), 4);     // total over workers
  EXPECT_DOUBLE_EQ(RemainingMakespan({3, 3, 2, 2, 2}, 2), 7);  // LPT: 3+2+2 | 3+2
  // Never below either lower bound, on random inputs.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> length(0.1, 10);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> jobs(1 + trial % 17);
    for (double& j : jobs) j = length(rng);
    const int workers = 1 + trial % 5;
    double total = 0;
    for (double j : jobs) total += j;
    const double makespan = RemainingMakespan(jobs, workers);
    EXPECT_GE(makespan + 1e-9, *std::max_element(jobs.begin(), jobs.end()));
    EXPECT_GE(makespan + 1e-9, total / workers);
    EXPECT_LE(makespan, total + 1e-9);
  }
}

}  // namespace
}  // namespace attnsweep
