// The builtins as the reading commands see them: descriptions only, linked without LibTorch (this
// binary, unit_tests, is). Every task and variant is there with its keys, its checks and its cost,
// and none can run: a program that runs jobs attaches that (builtin_runners.cc).
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "experiments/grid.h"
#include "experiments/registry.h"

namespace attnsweep {
namespace {

TEST(BuiltinDescriptions, CarryNoRunnerYetGridsAreCheckedAndPlannedInFull) {
  ASSERT_EQ(TaskNames(), (std::vector<std::string>{"sleep", "benchmark", "approximation", "train",
                                                   "next_event", "fault"}));
  ASSERT_EQ(VariantNames().size(), 8u);
  for (const TaskDefinition& task : Tasks()) {
    EXPECT_FALSE(task.run) << task.name;
    EXPECT_TRUE(task.estimate_seconds) << task.name;
  }
  for (const VariantDefinition& variant : Variants()) {
    EXPECT_FALSE(variant.make || variant.make_transaction_model) << variant.name;
    EXPECT_TRUE(variant.mixing_flops) << variant.name;
    EXPECT_EQ(variant.whole_model, variant.name == "aggregates") << variant.name;
  }
  // Every variant in a train grid: expanded, keyed and planned with a cost.
  const GridParseResult parsed = ParseGrid(
      "experiments:\n"
      "  - name: every\n"
      "    task: train\n"
      "    grid:\n"
      "      model.attention: [softmax, softmax_chunked, performer, linformer, infinity, gru, bag,"
      " aggregates]\n",
      "g");
  ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).message;
  ASSERT_EQ(parsed.grid.jobs.size(), 8u);
  for (const JobSpec& job : parsed.grid.jobs) {
    EXPECT_FALSE(job.job_key.empty());
    EXPECT_TRUE(std::isfinite(job.plan.estimate_s) && job.plan.estimate_s > 0) << job.job_key;
  }
  // The cross-key checks are descriptions too: a layer-less baseline outside training, and a
  // variant with no causal form where next_event needs one, are refused as the engine refuses them.
  const GridParseResult refused = ParseGrid(
      "experiments:\n"
      "  - {name: a, task: benchmark, params: {model.attention: aggregates}}\n"
      "  - {name: b, task: next_event, params: {model.attention: linformer}}\n",
      "g");
  ASSERT_EQ(refused.errors.size(), 2u);
  EXPECT_NE(refused.errors[0].message.find("baseline of the train task"), std::string::npos)
      << refused.errors[0].message;
  EXPECT_NE(refused.errors[1].message.find("next_event needs causal attention"), std::string::npos)
      << refused.errors[1].message;
}

}  // namespace
}  // namespace attnsweep
