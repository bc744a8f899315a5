// docs/extending.md's worked example, built and run: a new variant (window) and a new task
// (parameters) registered at start-up, then used from a grid like any built-in one. A test
// executable of its own, so the extra entries never reach the other suites' registry.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "cli/analysis/report_plots.h"
#include "experiments/config_schema.h"
#include "experiments/grid.h"
#include "experiments/job_runner.h"
#include "experiments/models/softmax_attention.h"
#include "experiments/registry.h"
#include "tests/extension/parameter_count_task.h"
#include "tests/extension/window_attention.h"

namespace attnsweep {
namespace {

class Extension : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RegisterVariant(WindowVariant());
    RegisterTask(ParameterCountTask());
  }
};

TEST_F(Extension, RegisteredEntriesAreInTheSchemaAndTheirKeysOnlyWhereTheyApply) {
  EXPECT_NE(FindVariant("window"), nullptr);
  EXPECT_NE(FindTask("parameters"), nullptr);
  const ParamSpec* width = FindParam("model.window.width");
  ASSERT_NE(width, nullptr);
  EXPECT_EQ(width->variant, "window");
  // Every task that reads the model section reads the variant's key, the new task included.
  for (const char* task : {"benchmark", "train", "approximation", "parameters"}) {
    EXPECT_TRUE(ParamAppliesTo(*width, task, "window")) << task;
    EXPECT_FALSE(ParamAppliesTo(*width, task, "softmax")) << task;
  }
  const auto& task_choices = FindParam("task")->choices;
  EXPECT_NE(std::find(task_choices.begin(), task_choices.end(), "parameters"), task_choices.end());
  const auto& variants = FindParam("model.attention")->choices;
  EXPECT_NE(std::find(variants.begin(), variants.end(), "window"), variants.end());
  EXPECT_THROW(RegisterVariant(WindowVariant()), std::invalid_argument);
}

TEST_F(Extension, AGridRunsTheNewTaskOnEveryVariantItNames) {
  const GridParseResult parsed = ParseGrid(R"(
experiments:
  - name: size
    task: parameters
    params: {model.d_model: 32, model.heads: 4, data.max_len: 64}
    grid:
      model.attention: {softmax: {}, window: {model.window.width: [2, 8]}, linformer: {model.linformer.k: [16]}}
)",
                                           "g");
  ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).message;
  ASSERT_EQ(parsed.grid.jobs.size(), 4u);
  std::map<std::string, double> parameters;
  for (const JobSpec& job : parsed.grid.jobs) {
    EXPECT_EQ(job.plan.default_isolation, "inproc");
    const JobOutput output = RunJob(job.config, JobContext());
    ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
    std::string name = job.config["model"]["attention"].get<std::string>();
    if (name == "window") name += job.config["model"]["window"]["width"].dump();
    parameters[name] = output.metrics.at(0).second;
  }
  // q, k, v and output projections with biases: 4 d^2 + 4 d; the window adds none.
  const double projections = 4.0 * 32 * 32 + 4.0 * 32;
  EXPECT_EQ(parameters["softmax"], projections);
  EXPECT_EQ(parameters["window2"], projections);
  EXPECT_EQ(parameters["window8"], projections);
  // Linformer's shared E (k x max_len, bias-free) on top, with the default sharing (kv).
  EXPECT_EQ(parameters["linformer"], projections + 16.0 * 64);
  // A key of the new task is validated like any other.
  const GridParseResult bad =
      ParseGrid("experiments: [{name: s, task: parameters, params: {parameters.bytes: 9}}]\n", "g");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors.at(0).message.find("parameters.bytes"), std::string::npos);
}

TEST_F(Extension, TheWindowSeesExactlyItsBand) {
  at::manual_seed(3);
  WindowAttention wide(WindowAttentionOptions(16, 2).width(100));
  SoftmaxAttention exact(SoftmaxAttentionOptions(16, 2));
  exact->qkv_projection->weight.set_data(wide->qkv_projection->weight.clone());
  exact->qkv_projection->bias.set_data(wide->qkv_projection->bias.clone());
  exact->output_projection->weight.set_data(wide->output_projection->weight.clone());
  exact->output_projection->bias.set_data(wide->output_projection->bias.clone());
  const auto x = at::randn({2, 20, 16});
  // A band wider than the sequence is exact attention.
  EXPECT_TRUE(at::allclose(wide->forward(x), exact->forward(x), 1e-5, 1e-6));
  // With width 2, position 0 depends on positions 0..2 and not on 3 and later.
  WindowAttention narrow(WindowAttentionOptions(16, 2).width(2));
  auto changed = x.clone();
  changed.slice(1, 3).add_(5.0);
  EXPECT_TRUE(at::allclose(narrow->forward(x).select(1, 0), narrow->forward(changed).select(1, 0),
                           1e-5, 1e-6));
  changed = x.clone();
  changed.select(1, 2).add_(5.0);
  EXPECT_FALSE(at::allclose(narrow->forward(x).select(1, 0), narrow->forward(changed).select(1, 0),
                            1e-5, 1e-6));
}

// A baseline shaped like aggregates — a whole model of its own, no attention layer — registers as
// an extension too, and is refused where a task builds no such model.
TEST_F(Extension, AWholeModelBaselineRegistersAndIsRefusedOutsideTraining) {
  VariantDefinition counts = *FindVariant("aggregates");
  counts.name = "aggregates_again";
  counts.keys.clear();  // model.aggregates.hidden is the built-in's
  ASSERT_TRUE(counts.whole_model && counts.make_transaction_model && !counts.make);
  EXPECT_NO_THROW(RegisterVariant(counts));
  const GridParseResult bench = ParseGrid(
      "experiments: [{name: s, task: benchmark, params: {model.attention: aggregates_again}}]\n",
      "g");
  ASSERT_FALSE(bench.ok());
  EXPECT_NE(bench.errors.at(0).message.find("baseline of the train task"), std::string::npos)
      << bench.errors.at(0).message;
  // A builder of the other kind is refused: a whole model's for a layer, a layer's for a whole
  // model, at registration or attached after it.
  VariantDefinition layer;
  layer.name = "layer_built_as_a_model";
  layer.mixing_flops = [](const nlohmann::json&, double) { return 0.0; };
  layer.make_transaction_model = counts.make_transaction_model;
  EXPECT_THROW(RegisterVariant(layer), std::invalid_argument);
  EXPECT_THROW(SetVariantBuilder("aggregates_again", FindVariant("bag")->make),
               std::invalid_argument);
  EXPECT_THROW(SetWholeModelBuilder("bag", counts.make_transaction_model), std::invalid_argument);
}

TEST_F(Extension, TheCostModelSeesTheVariantsScaling) {
  const GridParseResult parsed = ParseGrid(R"(
experiments:
  - name: speed
    task: benchmark
    params: {model.attention: window, model.window.width: 8}
    grid: {data.max_len: [1024, 4096]}
)",
                                           "g");
  ASSERT_TRUE(parsed.ok());
  const double short_job = parsed.grid.jobs.at(0).plan.estimate_s;
  const double long_job = parsed.grid.jobs.at(1).plan.estimate_s;
  // Linear in L (the band is fixed): 4x the length, 4x the work — not the 16x of exact attention.
  EXPECT_NEAR(long_job / short_job, 4.0, 0.01);
  EXPECT_EQ(parsed.grid.jobs.at(0).plan.cost_group, "benchmark/window");
}

// The report asks the registry which key sizes a variant: the window, registered here, gets its
// own approximation plot, its error against its width, like Performer's against its features.
TEST_F(Extension, TheReportPlotsTheVariantsErrorAgainstItsSize) {
  const GridParseResult parsed = ParseGrid(R"(
experiments:
  - name: band
    task: approximation
    params: {model.attention: window, model.d_model: 16, model.heads: 2, data.max_len: 64,
             approx: {draws: 1, batch_size: 1}}
    grid: {model.window.width: [1, 4, 16, 64]}
)",
                                           "g");
  ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).message;
  std::vector<JobRecord> jobs;
  for (const JobSpec& job : parsed.grid.jobs) {
    const JobOutput output = RunJob(job.config, JobContext());
    ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
    JobRecord record;
    record.id = static_cast<int64_t>(jobs.size()) + 1;
    record.status = "done";
    record.config = job.config.dump();
    for (const auto& [name, value] : output.metrics) record.metrics[name] = value;
    jobs.push_back(record);
  }
  const std::vector<Plot> plots = BuildPlots(jobs, {});
  const auto plot = std::find_if(plots.begin(), plots.end(),
                                 [](const Plot& p) { return p.id == "rel_error-width"; });
  ASSERT_NE(plot, plots.end());
  EXPECT_EQ(plot->x_title, "window width");
  EXPECT_EQ(plot->title, "Approximation error of window against window width");
  ASSERT_EQ(plot->points.size(), 4u);
  // A band as wide as the sequence is exact attention: the error falls as the width grows.
  EXPECT_GT(plot->points.front().y, plot->points.back().y);
  EXPECT_LT(plot->points.back().y, 1e-5);
}

}  // namespace
}  // namespace attnsweep
