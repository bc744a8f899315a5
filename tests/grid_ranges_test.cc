// Ranges in grid value lists: {range: [...]} and {geom: [...]} in `grid`, a variant's sub-grid and
// `zip`, the values they yield, and every way of writing one wrong.
#include <gtest/gtest.h>

#include <set>

#include "experiments/grid.h"
#include "experiments/grid_ranges.h"
#include "tests/grid_test_util.h"

namespace attnsweep {
namespace {

// One experiment whose grid has the single key `key: value`, written on line 5.
std::string OneKeyGrid(const std::string& task, const std::string& key, const std::string& value) {
  return "experiments:\n  - name: a\n    task: " + task + "\n    grid:\n      " + key + ": " +
         value + "\n";
}

// The values of one key in job order, as JSON text; `path` walks the nested config.
std::vector<std::string> Values(const Grid& grid, std::vector<std::string> path) {
  std::vector<std::string> values;
  for (const auto& job : grid.jobs) {
    const nlohmann::json* node = &job.config;
    for (const auto& part : path) node = &(*node)[part];
    values.push_back(node->dump());
  }
  return values;
}

std::set<std::string> JobKeys(const Grid& grid) {
  std::set<std::string> keys;
  for (const auto& job : grid.jobs) keys.insert(job.job_key);
  return keys;
}

std::vector<std::string> Problems(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& e : ParseGrid(yaml, "t").errors) out.push_back(FormatGridIssue("g.yaml", e));
  return out;
}

// The one problem of a grid, or a failure listing them all.
std::string OneProblem(const std::string& yaml) {
  auto problems = Problems(yaml);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_EQ(problems.size(), 1u) << all;
  return problems.empty() ? "" : problems[0];
}

TEST(GridRanges, IntegerRangeIncludesItsStop) {
  Grid grid = MustParse(OneKeyGrid("sleep", "seed", "{range: [1, 20]}"));
  EXPECT_EQ(Values(grid, {"seed"}),
            (std::vector<std::string>{"1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10",
                                      "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"}));
}

TEST(GridRanges, IntegerRangeWithStep) {
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "seed", "{range: [0, 100, 25]}")), {"seed"}),
            (std::vector<std::string>{"0", "25", "50", "75", "100"}));
  // A step that does not land on the stop ends below it.
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "seed", "{range: [1, 10, 4]}")), {"seed"}),
            (std::vector<std::string>{"1", "5", "9"}));
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "seed", "{range: [10, 1, -3]}")), {"seed"}),
            (std::vector<std::string>{"10", "7", "4", "1"}));
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "seed", "{range: [7, 7]}")), {"seed"}),
            (std::vector<std::string>{"7"}));
}

TEST(GridRanges, FloatRangeHasNoAccumulatedError) {
  Grid grid = MustParse(OneKeyGrid("sleep", "sleep.seconds", "{range: [0, 1, 0.1]}"));
  EXPECT_EQ(Values(grid, {"sleep", "seconds"}),
            (std::vector<std::string>{"0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8",
                                      "0.9", "1.0"}));
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "sleep.seconds", "{range: [0.5, 2]}")),
                   {"sleep", "seconds"}),
            (std::vector<std::string>{"0.5", "1.5"}));
}

TEST(GridRanges, Geometric) {
  EXPECT_EQ(Values(MustParse(OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 16384, 2]}")),
                   {"data", "max_len"}),
            (std::vector<std::string>{"64", "128", "256", "512", "1024", "2048", "4096", "8192",
                                      "16384"}));
  EXPECT_EQ(Values(MustParse(OneKeyGrid("benchmark", "data.max_len", "{geom: [3, 100, 3]}")),
                   {"data", "max_len"}),
            (std::vector<std::string>{"3", "9", "27", "81"}));
  EXPECT_EQ(Values(MustParse(OneKeyGrid("sleep", "sleep.seconds", "{geom: [0.001, 1, 10]}")),
                   {"sleep", "seconds"}),
            (std::vector<std::string>{"0.001", "0.01", "0.1", "1.0"}));
  // A non-integer factor is fine while every value is whole.
  EXPECT_EQ(Values(MustParse(OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 300, 1.5]}")),
                   {"data", "max_len"}),
            (std::vector<std::string>{"64", "96", "144", "216"}));
}

TEST(GridRanges, SameJobsAsTheWrittenList) {
  Grid ranged = MustParse(R"(
experiments:
  - name: a
    task: benchmark
    grid:
      model.attention:
        softmax: {}
        performer: {model.performer.features: {range: [64, 256, 64]}}
      data.max_len: {geom: [256, 1024, 2]}
    zip:
      seed: {range: [1, 3]}
      bench.warmup: [0, 1, 2]
  - name: s
    task: sleep
    grid: {sleep.seconds: {range: [0, 1, 0.1]}}
)");
  Grid written = MustParse(R"(
experiments:
  - name: a
    task: benchmark
    grid:
      model.attention:
        softmax: {}
        performer: {model.performer.features: [64, 128, 192, 256]}
      data.max_len: [256, 512, 1024]
    zip:
      seed: [1, 2, 3]
      bench.warmup: [0, 1, 2]
  - name: s
    task: sleep
    grid: {sleep.seconds: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]}
)");
  EXPECT_EQ(ranged.jobs.size(), (1 + 4) * 3 * 3 + 11u);
  EXPECT_EQ(written.jobs.size(), ranged.jobs.size());
  EXPECT_EQ(JobKeys(ranged), JobKeys(written));
}

TEST(GridRanges, ZipTakesARangeAsOneList) {
  Grid grid = MustParse(R"(
experiments:
  - name: z
    task: benchmark
    zip:
      data.max_len: {geom: [256, 1024, 2]}
      bench.batch_size: [16, 8, 4]
)");
  ASSERT_EQ(grid.jobs.size(), 3u);
  for (const auto& job : grid.jobs) {
    EXPECT_EQ(job.config["data"]["max_len"].get<int64_t>() *
                  job.config["bench"]["batch_size"].get<int64_t>(),
              4096)
        << job.config.dump();
  }
}

TEST(GridRanges, UnknownFormSuggestsTheClosest) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{rnage: [1, 5]}")),
            "g.yaml:5:13: 'seed': unknown 'rnage'; did you mean 'range'? (write {range: [start, "
            "stop]}, {range: [start, stop, step]} or {geom: [start, stop, factor]})");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1, 5], geom: [1, 4, 2]}")),
            "g.yaml:5:13: 'seed' takes a list of values or one of {range: [start, stop]}, {range: "
            "[start, stop, step]} or {geom: [start, stop, factor]}");
}

TEST(GridRanges, WrongArity) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1]}")),
            "g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got a list "
            "of 1");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1, 2, 3, 4]}")),
            "g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got a list "
            "of 4");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{geom: [1, 8]}")),
            "g.yaml:5:13: 'seed': 'geom' takes [start, stop, factor], got a list of 2");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: 5}")),
            "g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got '5'");
}

TEST(GridRanges, BadStep) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1, 5, 0]}")),
            "g.yaml:5:13: 'seed': {range: [1, 5, 0]} has step 0; the step must move from start to "
            "stop");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1, 5, -1]}")),
            "g.yaml:5:13: 'seed': {range: [1, 5, -1]} has a step of the wrong sign: -1 moves away "
            "from stop 5; write {range: [1, 5, 1]}");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [1, 5, 0.5]}")),
            "g.yaml:5:13: 'seed' takes integers, so the range's start, stop and step must be "
            "whole numbers; got 0.5 in {range: [1, 5, 0.5]}");
}

TEST(GridRanges, EmptyRange) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [5, 1]}")),
            "g.yaml:5:13: 'seed': {range: [5, 1]} is empty: start 5 is greater than stop 1; to "
            "count down, write {range: [5, 1, -1]}");
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "data.max_len", "{geom: [1024, 64, 2]}")),
            "g.yaml:5:21: 'data.max_len': {geom: [1024, 64, 2]} is empty: start 1024 is greater "
            "than stop 64");
}

TEST(GridRanges, BadFactorOrStart) {
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 1024, 1]}")),
            "g.yaml:5:21: 'data.max_len': {geom: [64, 1024, 1]} has factor 1; the factor must be "
            "greater than 1, as in {geom: [64, 16384, 2]}");
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 1024, 0.5]}")),
            "g.yaml:5:21: 'data.max_len': {geom: [64, 1024, 0.5]} has factor 0.5; the factor must "
            "be greater than 1, as in {geom: [64, 16384, 2]}");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "sleep.seconds", "{geom: [0, 1, 2]}")),
            "g.yaml:5:22: 'sleep.seconds': {geom: [0, 1, 2]} starts at 0; a geometric sequence "
            "must start above 0");
}

TEST(GridRanges, NonNumericBounds) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [a, 5]}")),
            "g.yaml:5:13: 'seed': the range's [start, stop] or [start, stop, step] must be finite "
            "numbers, got 'a'");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "sleep.seconds", "{geom: [1, .inf, 2]}")),
            "g.yaml:5:22: 'sleep.seconds': the geom's [start, stop, factor] must be finite "
            "numbers, got '.inf'");
}

TEST(GridRanges, OnlyForNumberKeys) {
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "bench.scope", "{range: [1, 2]}")),
            "g.yaml:5:20: 'bench.scope' takes a string, not a number: write its values as a list "
            "([a, b]); range and geom are for integer and number keys");
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "bench.backward", "{range: [0, 1]}")),
            "g.yaml:5:23: 'bench.backward' takes a boolean, not a number: write its values as a "
            "list ([a, b]); range and geom are for integer and number keys");
}

TEST(GridRanges, AtMostTenThousandValues) {
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "seed", "{range: [0, 100000]}")),
            "g.yaml:5:13: 'seed': the range yields 100001 values, more than the 10000 a grid axis "
            "may have; use a larger step or split the grid");
  EXPECT_EQ(OneProblem(OneKeyGrid("sleep", "sleep.seconds", "{range: [0, 100, 0.001]}")),
            "g.yaml:5:22: 'sleep.seconds': the range yields 100001 values, more than the 10000 a "
            "grid axis may have; use a larger step or split the grid");
  // Exactly the limit is allowed.
  EXPECT_EQ(MustParse(OneKeyGrid("sleep", "seed", "{range: [1, 10000]}")).jobs.size(), 10000u);
}

TEST(GridRanges, GeneratedValuesAreCheckedLikeWrittenOnes) {
  EXPECT_EQ(OneProblem(OneKeyGrid("benchmark", "data.max_len", "{range: [0, 10]}")),
            "g.yaml:5:21: 'data.max_len' must be between 1 and 16777216, got 0 (a value of "
            "{range: [0, 10]})");
  EXPECT_EQ(
      OneProblem(OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 2000, 1.5]}")),
      "g.yaml:5:21: 'data.max_len' takes integers, but {geom: [64, 2000, 1.5]} yields 1093.5; "
      "choose a start and factor whose products are whole numbers, or write the values as "
      "a list");
}

TEST(GridRanges, ErrorsInZipAndVariantsCarryTheirPlace) {
  auto p = Problems(R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.attention:
        performer: {model.performer.features: {range: [64, 32]}}
        softmax: {}
    zip:
      seed:
        rnage: [1, 3]
      bench.warmup: [0, 1, 2]
)");
  ASSERT_EQ(p.size(), 2u) << p[0] << "\n" << p.back();
  EXPECT_EQ(p[0],
            "g.yaml:6:47: 'model.performer.features': {range: [64, 32]} is empty: start 64 is "
            "greater than stop 32; to count down, write {range: [64, 32, -1]}");
  EXPECT_EQ(p[1].rfind("g.yaml:10:9: 'seed': unknown 'rnage'; did you mean 'range'?", 0), 0u)
      << p[1];
}

TEST(GridRanges, AFloatRangeThroughZeroYieldsZero) {
  // No built-in number key takes negative values; a key that does (an extension's, say) must get
  // 0 where the range crosses zero, not -2.8e-17, or the job differs from one with a written 0.
  const ParamSpec offset = ParamSpec::Float("test.offset", 0.0);
  std::string error;
  const auto values = ExpandRange(YAML::Load("{range: [-0.3, 0.3, 0.1]}"), offset, &error);
  ASSERT_TRUE(values) << error;
  ASSERT_EQ(values->size(), 7u);
  EXPECT_EQ((*values)[3].dump(), "0.0");
  EXPECT_EQ((*values)[2].get<double>(), -0.1);
  EXPECT_EQ((*values)[6].get<double>(), 0.3);
}

}  // namespace
}  // namespace attnsweep
