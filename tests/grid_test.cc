// Grid semantics: product, zip, include, exclude, overrides, conditional variants, duplicates.
#include "experiments/grid.h"
#include "tests/grid_test_util.h"

#include <gtest/gtest.h>

#include <set>

namespace attnsweep {
namespace {

// The set of values one dotted key takes across the jobs, as JSON text.
std::multiset<std::string> Values(const Grid& grid, const std::string& section,
                                  const std::string& key) {
  std::multiset<std::string> values;
  for (const auto& job : grid.jobs) {
    const auto& node = section.empty() ? job.config : job.config[section];
    values.insert(node.contains(key) ? node[key].dump() : "<absent>");
  }
  return values;
}

TEST(Grid, ProductOfAxes) {
  Grid grid = MustParse(R"(
experiments:
  - name: speed
    task: benchmark
    grid:
      data.max_len: [256, 512, 1024]
      seed: [1, 2]
)");
  ASSERT_EQ(grid.jobs.size(), 6u);
  std::set<std::pair<int64_t, int64_t>> points;
  for (const auto& job : grid.jobs) {
    points.insert(
        {job.config["data"]["max_len"].get<int64_t>(), job.config["seed"].get<int64_t>()});
    EXPECT_EQ(job.experiment, "speed");
    EXPECT_EQ(job.config["task"], "benchmark");
  }
  EXPECT_EQ(points.size(), 6u);
  EXPECT_EQ(grid.name, "test");
}

TEST(Grid, ZipVariesTogether) {
  Grid grid = MustParse(R"(
experiments:
  - name: z
    task: benchmark
    zip:
      data.max_len: [256, 512, 1024]
      bench.batch_size: [16, 8, 4]
    grid: {seed: [1, 2]}
)");
  ASSERT_EQ(grid.jobs.size(), 6u);
  for (const auto& job : grid.jobs) {
    const int64_t length = job.config["data"]["max_len"].get<int64_t>();
    const int64_t batch = job.config["bench"]["batch_size"].get<int64_t>();
    EXPECT_EQ(length * batch, 4096) << job.config.dump();
  }
}

// Experiment e, data.max_len [256, 512] by bench.batch_size [1, 2], with `more` (its exclude and
// include lists) after its grid.
Grid TwoByTwoGrid(const std::string& more) {
  return MustParse(R"(
experiments:
  - name: e
    task: benchmark
    grid:
      data.max_len: [256, 512]
      bench.batch_size: [1, 2]
)" + more);
}

TEST(Grid, ExcludeIsAPartialMatchAndIncludeAddsPoints) {
  Grid grid = TwoByTwoGrid(R"(    exclude:
      - {data.max_len: 512}
    include:
      - {data.max_len: 4096, bench.batch_size: 1}
)");
  EXPECT_EQ(Values(grid, "data", "max_len"), (std::multiset<std::string>{"256", "256", "4096"}));
  EXPECT_EQ(Values(grid, "bench", "batch_size"), (std::multiset<std::string>{"1", "2", "1"}));
}

TEST(Grid, ExcludeWithSeveralKeysNeedsAllToMatch) {
  Grid grid = TwoByTwoGrid(R"(    exclude:
      - {data.max_len: 512, bench.batch_size: 2}
)");
  EXPECT_EQ(grid.jobs.size(), 3u);
  for (const auto& job : grid.jobs) {
    EXPECT_FALSE(job.config["data"]["max_len"] == 512 && job.config["bench"]["batch_size"] == 2);
  }
}

TEST(Grid, OverridesGoSchemaThenDefaultsThenParamsThenGrid) {
  Grid grid = MustParse(R"(
defaults:
  model: {d_model: 128, heads: 8}
  bench: {repeats: 9}
experiments:
  - name: o
    task: benchmark
    params:
      bench: {repeats: 3, warmup: 0}
      model.heads: 2
    grid:
      model.heads: [4]
)");
  ASSERT_EQ(grid.jobs.size(), 1u);
  const auto& c = grid.jobs[0].config;
  EXPECT_EQ(c["model"]["d_model"], 128);   // from defaults
  EXPECT_EQ(c["bench"]["repeats"], 3);     // params over defaults
  EXPECT_EQ(c["bench"]["warmup"], 0);      // params
  EXPECT_EQ(c["model"]["heads"], 4);       // grid over params
  EXPECT_EQ(c["bench"]["batch_size"], 4);  // schema default
  EXPECT_EQ(c["data"]["max_len"], 512);    // schema default
}

TEST(Grid, ResolvedConfigHoldsOnlyWhatTheTaskReads) {
  Grid grid = MustParse(R"(
defaults:
  train: {epochs: 3}
  sleep: {seconds: 0.5}
experiments:
  - name: s
    task: sleep
  - name: b
    task: benchmark
)");
  ASSERT_EQ(grid.jobs.size(), 2u);
  const auto& sleep = grid.jobs[0].config;
  EXPECT_EQ(sleep,
            nlohmann::json::parse(R"({"seed": 1, "sleep": {"seconds": 0.5}, "task": "sleep"})"));
  const auto& bench = grid.jobs[1].config;
  EXPECT_FALSE(bench.contains("sleep"));
  EXPECT_FALSE(bench.contains("train"));
  EXPECT_TRUE(bench["model"].contains("attention"));
  EXPECT_FALSE(bench["model"].contains("layers"));  // read by train only
}

TEST(Grid, IdenticalPointsAreOneJob) {
  Grid grid = MustParse(R"(
experiments:
  - name: d
    task: sleep
    grid:
      sleep.seconds: [1, 1.0, 1e0, 2]
)");
  EXPECT_EQ(grid.jobs.size(), 2u);
}

TEST(Grid, SameJobInTwoExperimentsRunsOnceWithAWarning) {
  GridParseResult result = ParseGrid(R"(
experiments:
  - name: first
    task: sleep
  - name: second
    task: sleep
)",
                                     "t");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.grid.jobs.size(), 1u);
  EXPECT_EQ(result.grid.jobs[0].experiment, "first");
  ASSERT_EQ(result.grid.warnings.size(), 1u);
  EXPECT_NE(result.grid.warnings[0].message.find("repeats a job of experiment 'first'"),
            std::string::npos);
}

TEST(Grid, ConditionalVariantGrid) {
  Grid grid = MustParse(R"(
experiments:
  - name: c
    task: benchmark
    grid:
      model.attention:
        softmax: {data.max_len: [128, 256]}
      seed: [1, 2]
)");
  ASSERT_EQ(grid.jobs.size(), 4u);
  EXPECT_EQ(Values(grid, "data", "max_len"),
            (std::multiset<std::string>{"128", "128", "256", "256"}));
}

TEST(Grid, NestedAndDottedKeysAreTheSame) {
  Grid nested = MustParse(R"(
experiments:
  - {name: a, task: benchmark, params: {model: {heads: 2}, bench: {repeats: 1}}}
)");
  Grid dotted = MustParse(R"(
experiments:
  - {name: a, task: benchmark, params: {model.heads: 2, bench.repeats: 1}}
)");
  ASSERT_EQ(nested.jobs.size(), 1u);
  ASSERT_EQ(dotted.jobs.size(), 1u);
  EXPECT_EQ(nested.jobs[0].job_key, dotted.jobs[0].job_key);
}

TEST(Grid, TypesAreNormalised) {
  Grid grid = MustParse(R"(
experiments:
  - name: t
    task: benchmark
    params: {data.max_len: 1e3, bench.backward: no}
)");
  ASSERT_EQ(grid.jobs.size(), 1u);
  EXPECT_TRUE(grid.jobs[0].config["data"]["max_len"].is_number_integer());
  EXPECT_EQ(grid.jobs[0].config["data"]["max_len"], 1000);
  EXPECT_EQ(grid.jobs[0].config["bench"]["backward"], false);
}

TEST(Grid, NumberListsAreOneValueSpelledOneWay) {
  Grid grid = MustParse(R"(
experiments:
  - name: t
    task: benchmark
    params: {model.attention: infinity}
    grid:
      model.infinity.widths: ["0.01,0.05", " 0.01 , 5e-2 ", "0.2"]
)");
  // The first two are the same widths: one job.
  ASSERT_EQ(grid.jobs.size(), 2u);
  EXPECT_EQ(
      Values(grid, "model", "infinity"),
      (std::multiset<std::string>{
          R"({"basis":64,"detach":true,"ridge":0.5,"samples":64,"segment":128,"sticky":false,"tau":0.75,"widths":[0.01,0.05]})",
          R"({"basis":64,"detach":true,"ridge":0.5,"samples":64,"segment":128,"sticky":false,"tau":0.75,"widths":[0.2]})"}));
}

TEST(Grid, IncludeOnlyExperimentRunsJustTheIncludes) {
  Grid grid = MustParse(R"(
experiments:
  - name: i
    task: sleep
    include:
      - {sleep.seconds: 1}
      - {sleep.seconds: 2}
)");
  EXPECT_EQ(Values(grid, "sleep", "seconds"), (std::multiset<std::string>{"1.0", "2.0"}));
}

TEST(Grid, CostOrdersLongerBenchmarksHigher) {
  Grid grid = MustParse(R"(
experiments:
  - {name: s, task: benchmark, grid: {data.max_len: [256, 4096]}}
)");
  ASSERT_EQ(grid.jobs.size(), 2u);
  const auto& short_job =
      grid.jobs[0].config["data"]["max_len"] == 256 ? grid.jobs[0] : grid.jobs[1];
  const auto& long_job =
      grid.jobs[0].config["data"]["max_len"] == 256 ? grid.jobs[1] : grid.jobs[0];
  EXPECT_GT(long_job.plan.estimate_s, 100 * short_job.plan.estimate_s);  // ~ L^2: 256x
}

TEST(Grid, StoreAndName) {
  Grid grid =
      MustParse("name: study\nstore: out/study.db\nexperiments:\n  - {name: a, task: sleep}\n");
  EXPECT_EQ(grid.name, "study");
  EXPECT_EQ(grid.store_path, "out/study.db");
}

}  // namespace
}  // namespace attnsweep

namespace attnsweep {
namespace {

TEST(Grid, EncoderKeysBelongToABenchmarkOnlyWhenItTimesTheWholeModel) {
  Grid grid = MustParse(R"(
experiments:
  - name: b
    task: benchmark
    params: {model.layers: 4}
    grid: {bench.scope: [layer, model]}
)");
  ASSERT_EQ(grid.jobs.size(), 2u);
  for (const auto& job : grid.jobs) {
    const bool whole = job.config["bench"]["scope"] == "model";
    EXPECT_EQ(job.config["model"].contains("layers"), whole) << job.config.dump();
    EXPECT_EQ(job.config["model"].contains("positions"), whole) << job.config.dump();
    if (whole) {
      EXPECT_EQ(job.config["model"]["layers"], 4);
    }
  }
}

TEST(Grid, VariantKeysFollowTheirVariant) {
  Grid grid = MustParse(R"(
experiments:
  - name: v
    task: benchmark
    grid:
      model.attention:
        softmax: {}
        linformer: {model.linformer.k: [64, 128]}
        softmax_chunked: {model.chunked.block: [128]}
)");
  ASSERT_EQ(grid.jobs.size(), 4u);
  for (const auto& job : grid.jobs) {
    const std::string variant = job.config["model"]["attention"];
    EXPECT_EQ(job.config["model"].contains("linformer"), variant == "linformer");
    EXPECT_EQ(job.config["model"].contains("chunked"), variant == "softmax_chunked");
  }
}

}  // namespace
}  // namespace attnsweep
