// Ranges in grid value lists: {range: [...]} and {geom: [...]} in `grid`, a variant's sub-grid and
// `zip`, the values they yield, and every way of writing one wrong.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

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

// One key's range or geom and the values it yields, in job order, as JSON text.
struct RangeValuesCase {
  const char* name;  // names the case in gtest's output
  const char* task;
  const char* key;  // dotted; the values are read at its path in the config
  const char* range;
  const char* values;  // separated by spaces
};

void PrintTo(const RangeValuesCase& c, std::ostream* os) {
  *os << c.key << ": " << c.range << " (task " << c.task << ")";
}

const RangeValuesCase kRangeValues[] = {
    {"IntegerRangeIncludesItsStop", "sleep", "seed", "{range: [1, 20]}",
     "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"},
    {"IntegerRangeWithStep", "sleep", "seed", "{range: [0, 100, 25]}", "0 25 50 75 100"},
    // A step that does not land on the stop ends below it.
    {"IntegerRangeWithAStepPastTheStop", "sleep", "seed", "{range: [1, 10, 4]}", "1 5 9"},
    {"IntegerRangeCountingDown", "sleep", "seed", "{range: [10, 1, -3]}", "10 7 4 1"},
    {"IntegerRangeOfOne", "sleep", "seed", "{range: [7, 7]}", "7"},
    {"FloatRangeHasNoAccumulatedError", "sleep", "sleep.seconds", "{range: [0, 1, 0.1]}",
     "0.0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0"},
    {"FloatRangeOfStepOne", "sleep", "sleep.seconds", "{range: [0.5, 2]}", "0.5 1.5"},
    {"Geometric", "benchmark", "data.max_len", "{geom: [64, 16384, 2]}",
     "64 128 256 512 1024 2048 4096 8192 16384"},
    {"GeometricEndsBelowItsStop", "benchmark", "data.max_len", "{geom: [3, 100, 3]}", "3 9 27 81"},
    {"GeometricOfNumbers", "sleep", "sleep.seconds", "{geom: [0.001, 1, 10]}",
     "0.001 0.01 0.1 1.0"},
    // A non-integer factor is fine while every value is whole.
    {"GeometricWithAFractionalFactor", "benchmark", "data.max_len", "{geom: [64, 300, 1.5]}",
     "64 96 144 216"},
};

// The parts of `text` between `separator`s.
std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

class GridRangeValues : public ::testing::TestWithParam<RangeValuesCase> {};

TEST_P(GridRangeValues, AreTheValuesOfTheKey) {
  const RangeValuesCase& c = GetParam();
  EXPECT_EQ(Values(MustParse(OneKeyGrid(c.task, c.key, c.range)), Split(c.key, '.')),
            Split(c.values, ' '));
}

INSTANTIATE_TEST_SUITE_P(GridRanges, GridRangeValues, ::testing::ValuesIn(kRangeValues),
                         [](const ::testing::TestParamInfo<RangeValuesCase>& info) {
                           return std::string(info.param.name);
                         });

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

// Ranges refused, each with its one problem at the range's place (line 5 of OneKeyGrid).
const GridProblemCase kRefusedRanges[] = {
    {"UnknownFormSuggestsTheClosest",
     OneKeyGrid("sleep", "seed", "{rnage: [1, 5]}"),
     {"g.yaml:5:13: 'seed': unknown 'rnage'; did you mean 'range'? (write {range: [start, "
      "stop]}, {range: [start, stop, step]} or {geom: [start, stop, factor]})"}},
    {"TwoFormsAtOnce",
     OneKeyGrid("sleep", "seed", "{range: [1, 5], geom: [1, 4, 2]}"),
     {"g.yaml:5:13: 'seed' takes a list of values or one of {range: [start, stop]}, {range: "
      "[start, stop, step]} or {geom: [start, stop, factor]}"}},
    {"RangeOfOneNumber",
     OneKeyGrid("sleep", "seed", "{range: [1]}"),
     {"g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got a list "
      "of 1"}},
    {"RangeOfFourNumbers",
     OneKeyGrid("sleep", "seed", "{range: [1, 2, 3, 4]}"),
     {"g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got a list "
      "of 4"}},
    {"GeomOfTwoNumbers",
     OneKeyGrid("sleep", "seed", "{geom: [1, 8]}"),
     {"g.yaml:5:13: 'seed': 'geom' takes [start, stop, factor], got a list of 2"}},
    {"RangeOfAScalar",
     OneKeyGrid("sleep", "seed", "{range: 5}"),
     {"g.yaml:5:13: 'seed': 'range' takes [start, stop] or [start, stop, step], got '5'"}},
    {"StepZero",
     OneKeyGrid("sleep", "seed", "{range: [1, 5, 0]}"),
     {"g.yaml:5:13: 'seed': {range: [1, 5, 0]} has step 0; the step must move from start to "
      "stop"}},
    {"StepOfTheWrongSign",
     OneKeyGrid("sleep", "seed", "{range: [1, 5, -1]}"),
     {"g.yaml:5:13: 'seed': {range: [1, 5, -1]} has a step of the wrong sign: -1 moves away "
      "from stop 5; write {range: [1, 5, 1]}"}},
    {"FractionalStepForAnInteger",
     OneKeyGrid("sleep", "seed", "{range: [1, 5, 0.5]}"),
     {"g.yaml:5:13: 'seed' takes integers, so the range's start, stop and step must be "
      "whole numbers; got 0.5 in {range: [1, 5, 0.5]}"}},
    {"EmptyRange",
     OneKeyGrid("sleep", "seed", "{range: [5, 1]}"),
     {"g.yaml:5:13: 'seed': {range: [5, 1]} is empty: start 5 is greater than stop 1; to "
      "count down, write {range: [5, 1, -1]}"}},
    {"EmptyGeom",
     OneKeyGrid("benchmark", "data.max_len", "{geom: [1024, 64, 2]}"),
     {"g.yaml:5:21: 'data.max_len': {geom: [1024, 64, 2]} is empty: start 1024 is greater "
      "than stop 64"}},
    {"FactorOne",
     OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 1024, 1]}"),
     {"g.yaml:5:21: 'data.max_len': {geom: [64, 1024, 1]} has factor 1; the factor must be "
      "greater than 1, as in {geom: [64, 16384, 2]}"}},
    {"FactorBelowOne",
     OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 1024, 0.5]}"),
     {"g.yaml:5:21: 'data.max_len': {geom: [64, 1024, 0.5]} has factor 0.5; the factor must "
      "be greater than 1, as in {geom: [64, 16384, 2]}"}},
    {"GeomFromZero",
     OneKeyGrid("sleep", "sleep.seconds", "{geom: [0, 1, 2]}"),
     {"g.yaml:5:22: 'sleep.seconds': {geom: [0, 1, 2]} starts at 0; a geometric sequence "
      "must start above 0"}},
    {"NonNumericBound",
     OneKeyGrid("sleep", "seed", "{range: [a, 5]}"),
     {"g.yaml:5:13: 'seed': the range's [start, stop] or [start, stop, step] must be finite "
      "numbers, got 'a'"}},
    {"InfiniteBound",
     OneKeyGrid("sleep", "sleep.seconds", "{geom: [1, .inf, 2]}"),
     {"g.yaml:5:22: 'sleep.seconds': the geom's [start, stop, factor] must be finite "
      "numbers, got '.inf'"}},
    {"RangeForAString",
     OneKeyGrid("benchmark", "bench.scope", "{range: [1, 2]}"),
     {"g.yaml:5:20: 'bench.scope' takes a string, not a number: write its values as a list "
      "([a, b]); range and geom are for integer and number keys"}},
    {"RangeForABoolean",
     OneKeyGrid("benchmark", "bench.backward", "{range: [0, 1]}"),
     {"g.yaml:5:23: 'bench.backward' takes a boolean, not a number: write its values as a "
      "list ([a, b]); range and geom are for integer and number keys"}},
    {"MoreThanTenThousandIntegers",
     OneKeyGrid("sleep", "seed", "{range: [0, 100000]}"),
     {"g.yaml:5:13: 'seed': the range yields 100001 values, more than the 10000 a grid axis "
      "may have; use a larger step or split the grid"}},
    {"MoreThanTenThousandNumbers",
     OneKeyGrid("sleep", "sleep.seconds", "{range: [0, 100, 0.001]}"),
     {"g.yaml:5:22: 'sleep.seconds': the range yields 100001 values, more than the 10000 a "
      "grid axis may have; use a larger step or split the grid"}},
    {"GeneratedValueOutOfBounds",
     OneKeyGrid("benchmark", "data.max_len", "{range: [0, 10]}"),
     {"g.yaml:5:21: 'data.max_len' must be between 1 and 16777216, got 0 (a value of "
      "{range: [0, 10]})"}},
    {"GeneratedFractionForAnInteger",
     OneKeyGrid("benchmark", "data.max_len", "{geom: [64, 2000, 1.5]}"),
     {"g.yaml:5:21: 'data.max_len' takes integers, but {geom: [64, 2000, 1.5]} yields 1093.5; "
      "choose a start and factor whose products are whole numbers, or write the values as "
      "a list"}},
};

// Checked by GridProblems' test (grid_validation_test.cc).
INSTANTIATE_TEST_SUITE_P(GridRanges, GridProblems, ::testing::ValuesIn(kRefusedRanges),
                         GridProblemCaseName);

TEST(GridRanges, AtMostTenThousandValues) {
  // Exactly the limit is allowed (kRefusedRanges: one value more is refused).
  EXPECT_EQ(MustParse(OneKeyGrid("sleep", "seed", "{range: [1, 10000]}")).jobs.size(), 10000u);
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
