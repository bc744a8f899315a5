// Registry completeness: every registered task and variant is in the schema `keys` prints, has a
// cost, and runs from a grid to a done job.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "experiments/config_schema.h"
#include "experiments/grid.h"
#include "experiments/job_runner.h"
#include "experiments/registry.h"
#include "tests/scratch_dir_test.h"

namespace attnsweep {
namespace {

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A small job of `task` for `variant`, through the grid as a user would write it: of these
// settings, those the task reads (setting another is an error inside an experiment).
JobSpec SmallJob(const std::string& task, const std::string& variant) {
  const std::vector<std::pair<std::string, std::string>> settings = {
      {"model.attention", variant}, {"model.d_model", "16"},    {"model.heads", "2"},
      {"model.layers", "1"},        {"model.ff_dim", "16"},     {"data.max_len", "16"},
      {"data.customers", "200"},    {"bench.batch_size", "2"},  {"bench.warmup", "0"},
      {"bench.repeats", "1"},       {"approx.batch_size", "2"}, {"approx.draws", "1"},
      {"train.epochs", "1"},        {"train.batch_size", "8"},  {"sleep.seconds", "0.01"}};
  std::string params;
  for (const auto& [key, value] : settings) {
    if (!ParamAppliesToTask(*FindParam(key), task)) continue;
    params += (params.empty() ? "" : ", ") + key + ": " + value;
  }
  const GridParseResult parsed =
      ParseGrid("experiments:\n  - {name: e, task: " + task + ", params: {" + params + "}}\n", "g");
  EXPECT_TRUE(parsed.ok()) << task << "/" << variant << ": "
                           << (parsed.ok() ? "" : parsed.errors.at(0).message);
  return parsed.ok() ? parsed.grid.jobs.at(0) : JobSpec{};
}

TEST(Registry, EveryTaskAndVariantIsInTheSchemaWithItsKeys) {
  ASSERT_FALSE(Tasks().empty());
  ASSERT_FALSE(Variants().empty());
  const auto& task_choices = FindParam("task")->choices;
  for (const TaskDefinition& task : Tasks()) {
    EXPECT_TRUE(Contains(task_choices, task.name)) << task.name;
    EXPECT_TRUE(task.run && task.estimate_seconds) << task.name;
    for (const ParamSpec& key : task.keys) {
      const ParamSpec* found = FindParam(key.key);
      ASSERT_NE(found, nullptr) << key.key;
      EXPECT_TRUE(ParamAppliesToTask(*found, task.name)) << key.key;
      EXPECT_FALSE(found->help.empty()) << key.key;
    }
  }
  const auto& variant_choices = FindParam("model.attention")->choices;
  for (const VariantDefinition& variant : Variants()) {
    EXPECT_TRUE(Contains(variant_choices, variant.name)) << variant.name;
    // A layer to put in the encoder, or (a baseline such as aggregates) a whole model of its own:
    // the builder its description says, attached (RegisterBuiltinRunners).
    EXPECT_EQ(static_cast<bool>(variant.make), !variant.whole_model) << variant.name;
    EXPECT_EQ(static_cast<bool>(variant.make_transaction_model), variant.whole_model)
        << variant.name;
    EXPECT_TRUE(variant.mixing_flops) << variant.name;
    for (const ParamSpec& key : variant.keys) {
      const ParamSpec* found = FindParam(key.key);
      ASSERT_NE(found, nullptr) << key.key;
      EXPECT_EQ(found->variant, variant.name) << key.key;
    }
  }
  // Every key of the schema belongs to something `keys` can say reads it.
  for (const ParamSpec& spec : ConfigSchema()) {
    EXPECT_FALSE(spec.help.empty()) << spec.key;
  }
}

class RegistryRuns : public ScratchDirTest {};

TEST_F(RegistryRuns, EveryVariantBenchmarksWithACostThatGrowsWithLength) {
  for (const VariantDefinition& variant : Variants()) {
    if (variant.whole_model) continue;  // no layer to benchmark: EveryWholeModelVariantTrains
    const JobSpec job = SmallJob("benchmark", variant.name);
    ASSERT_FALSE(job.job_key.empty()) << variant.name;
    EXPECT_TRUE(std::isfinite(job.plan.estimate_s) && job.plan.estimate_s > 0) << variant.name;
    EXPECT_EQ(job.plan.cost_group, "benchmark/" + variant.name);
    nlohmann::json longer = job.config;
    longer["data"]["max_len"] = 1024;
    EXPECT_GT(FindTask("benchmark")->estimate_seconds(longer), job.plan.estimate_s) << variant.name;
    JobContext context;
    const JobOutput output = RunJob(job.config, context);
    EXPECT_EQ(output.outcome, JobOutcome::kDone) << variant.name << ": " << output.error;
  }
}

TEST_F(RegistryRuns, EveryWholeModelVariantTrainsAndOtherTasksRefuseIt) {
  for (const VariantDefinition& variant : Variants()) {
    if (!variant.whole_model) continue;
    const JobSpec job = SmallJob("train", variant.name);
    ASSERT_FALSE(job.job_key.empty()) << variant.name;
    const JobOutput output = RunJob(job.config, JobContext());
    EXPECT_EQ(output.outcome, JobOutcome::kDone) << variant.name << ": " << output.error;
    const GridParseResult refused = ParseGrid(
        "experiments:\n  - {name: e, task: benchmark, params: {model.attention: " + variant.name +
            "}}\n",
        "g");
    ASSERT_FALSE(refused.ok()) << variant.name;
    EXPECT_NE(refused.errors.at(0).message.find("train task"), std::string::npos)
        << refused.errors.at(0).message;
  }
}

TEST_F(RegistryRuns, EveryTaskRunsASmallJob) {
  for (const TaskDefinition& task : Tasks()) {
    const JobSpec job = SmallJob(task.name, "softmax");
    ASSERT_FALSE(job.job_key.empty()) << task.name;
    EXPECT_TRUE(std::isfinite(job.plan.estimate_s) && job.plan.estimate_s > 0) << task.name;
    const JobOutput output = RunJob(job.config, JobContext());
    EXPECT_EQ(output.outcome, JobOutcome::kDone) << task.name << ": " << output.error;
    EXPECT_FALSE(output.metrics.empty()) << task.name;
  }
}

}  // namespace
}  // namespace attnsweep
