// Every validation problem is reported at once, each with its YAML line and column.
#include <gtest/gtest.h>

#include "experiments/grid.h"
#include "tests/grid_test_util.h"

namespace attnsweep {
namespace {

// Grids refused with exactly these problems, in this order, each at its line and column.
const GridProblemCase kRefusedGrids[] = {
    // A Latin-1 "é" (0xE9) in a batch name: stored, it broke every JSON view of the store.
    {"TextThatIsNotUtf8IsRefusedWhereItBreaks",
     "name: caf\xe9\nexperiments:\n  - {name: a, task: sleep}\n",
     {"g.yaml:1:10: not UTF-8 text (an invalid byte here): save the grid as UTF-8"}},
    // UTF-8 itself is welcome, in names and descriptions alike.
    {"Utf8IsWelcomeInNamesAndDescriptions",
     "name: café ∞-former\ndescription: długość\nexperiments:\n  - {name: a, task: sleep}\n",
     {}},
    {"AVariantsSubGridMayNotSetAnotherVariantsKey",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.attention:
        softmax: {model.performer.features: [64, 128]}
        performer: {model.performer.features: [64]}
)",
     {"g.yaml:6:46: 'model.performer.features' is read by variant 'performer', not "
      "'softmax': move it under performer"}},
    {"ATabInTheIndentationIsNamed",
     "experiments:\n  - name: a\n\ttask: sleep\n",
     {"g.yaml:3:1: a tab in the indentation: YAML indents with spaces only"}},
    {"AKeyWrittenTwiceIsTheProblemReported",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      data.max_len: [64, 128]
      data.max_len: [256]
)",
     {"g.yaml:6:7: 'data.max_len' is written twice in one mapping (first on line 5): "
      "write it once"}},
    {"UnknownKeyWithSuggestion",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.atention: [softmax]
)",
     {"g.yaml:5:7: unknown key 'model.atention'; did you mean 'model.attention'? "
      "(`attnsweep keys` lists every key)"}},
    {"UnknownVariant",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.attention: [softmax, sofmax]
)",
     {"g.yaml:5:34: unknown attention variant 'sofmax' (known: softmax, softmax_chunked, "
      "performer, linformer, infinity, gru, bag, aggregates); did you mean 'softmax'?"}},
    {"BadNumberList",
     R"(experiments:
  - name: a
    task: benchmark
    params: {model.attention: infinity}
    grid:
      model.infinity.widths: ["0.01, x", "0.01,,0.05", "0.01, -1"]
)",
     {"g.yaml:6:31: 'model.infinity.widths' must be a list of numbers, got 'x'",
      "g.yaml:6:42: 'model.infinity.widths' must be a list of numbers, got ''",
      "g.yaml:6:56: 'model.infinity.widths' must be at least 1e-06, got -1"}},
    {"WrongTypeAndOutOfRange",
     R"(experiments:
  - name: a
    task: benchmark
    params:
      bench.repeats: many
      model.heads: 0
      bench.backward: maybe
)",
     {"g.yaml:5:22: 'bench.repeats' must be an integer, got 'many'",
      "g.yaml:6:20: 'model.heads' must be between 1 and 1024, got 0",
      "g.yaml:7:23: 'bench.backward' must be true or false, got 'maybe'"}},
    {"FractionForAnIntegerAndNonFiniteNumber",
     R"(experiments:
  - name: a
    task: sleep
    grid:
      seed: [1.5]
      sleep.seconds: [.nan]
)",
     {"g.yaml:5:14: 'seed' must be an integer, got '1.5'",
      "g.yaml:6:23: 'sleep.seconds' must be a finite number, got .nan"}},
    {"EmptyGridFromAnEmptyList",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      data.max_len: []
)",
     {"g.yaml:5:7: 'data.max_len' has an empty list, so the grid has no points"}},
    {"EmptyGridWhenEverythingIsExcluded",
     R"(experiments:
  - name: a
    task: benchmark
    grid: {data.max_len: [256]}
    exclude: [{data.max_len: 256}]
)",
     {"g.yaml:2:5: experiment 'a' has no jobs: every point of its grid is excluded"}},
    {"ExperimentProblems",
     R"(experiments:
  - name: a
    task: trian
  - name: a
    task: sleep
    gird: {seed: [1]}
  - task: sleep
)",
     {"g.yaml:3:11: unknown task 'trian' (known: sleep, benchmark, approximation, train, "
      "next_event, fault); "
      "did you mean 'train'?",
      "g.yaml:4:11: experiment name 'a' is used twice",
      "g.yaml:6:5: unknown experiment key 'gird' (known: name, task, params, grid, zip, "
      "search, scheduler, include, exclude, limits, description); did you mean 'grid'?",
      "g.yaml:7:5: experiment has no 'name'"}},
    {"KeyNotReadByTheTask",
     R"(experiments:
  - name: a
    task: sleep
    params: {bench.repeats: 3}
)",
     {"g.yaml:4:29: 'bench.repeats' is not read by task 'sleep' (it is read by: benchmark)"}},
    {"SettingsThatConflict",
     R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.heads: [3]
)",
     {"g.yaml:5:21: model.d_model (64) must be a multiple of model.heads (3)"}},
    {"ZipListsOfDifferentLength",
     R"(experiments:
  - name: a
    task: benchmark
    zip:
      data.max_len: [1, 2, 3]
      bench.batch_size: [1, 2]
)",
     {"g.yaml:6:7: 'zip' lists must have equal lengths: 'data.max_len' has 3 values, "
      "'bench.batch_size' has 2"}},
    {"LinformerShorterThanTheInputIsAnError",
     R"(experiments:
  - name: l
    task: benchmark
    params: {model.attention: linformer, data.max_len: 1024}
    grid: {model.linformer.max_len: [512, 2048]}
)",
     {"g.yaml:5:38: model.linformer.max_len (512) is shorter than data.max_len (1024): "
      "Linformer cannot take inputs longer than its projection"}},
};

TEST_P(GridProblems, AreReportedInOrderEachAtItsPlace) {
  EXPECT_EQ(Problems(GetParam().yaml), GetParam().problems);
}

INSTANTIATE_TEST_SUITE_P(GridValidation, GridProblems, ::testing::ValuesIn(kRefusedGrids),
                         GridProblemCaseName);

TEST(GridValidation, NestingPastAnyGridsNeedIsRefused) {
  std::string deep = "experiments:\n  - name: a\n    task: sleep\n    params: ";
  for (int i = 0; i < 100; ++i) deep += "{a: ";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  const auto p = Problems(deep + "\n");
  ASSERT_FALSE(p.empty());
  EXPECT_NE(Joined(p).find("nested more than 64 levels deep"), std::string::npos) << Joined(p);
}

TEST(GridValidation, SettingsInConflictAreReportedWithTheOtherProblems) {
  // An unknown key and a d_model that heads do not divide, in one experiment: both at once.
  const auto p = Problems(R"(experiments:
  - name: a
    task: benchmark
    params: {model.d_model: 30, model.heads: 4, data.max_lne: 64}
)");
  const std::string all = Joined(p);
  EXPECT_NE(all.find("data.max_lne"), std::string::npos) << all;
  EXPECT_NE(all.find("must be a multiple of model.heads"), std::string::npos) << all;
}

TEST(GridValidation, UnknownKeyInsideASection) {
  auto p = Problems(R"(defaults:
  model: {d_modle: 64}
experiments:
  - {name: a, task: sleep}
)");
  ASSERT_EQ(p.size(), 1u) << Joined(p);
  EXPECT_NE(p[0].find("g.yaml:2:11: unknown key 'model.d_modle'; did you mean 'model.d_model'?"),
            std::string::npos)
      << p[0];
}

TEST(GridValidation, NoExperiments) {
  auto p = Problems("name: x\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].find("the grid has no experiments"), std::string::npos);
}

TEST(GridValidation, YamlSyntaxError) {
  auto p = Problems("experiments:\n  - name: a\n    task: [sleep\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rfind("g.yaml:4:1: YAML syntax error: ", 0), 0u) << p[0];
}

TEST(GridValidation, AllProblemsAtOnceSortedByPlace) {
  auto p = Problems(R"(defaults:
  model: {heads: -1}
experiments:
  - name: a
    task: benchmark
    grid:
      data.max_len: [0, 512]
      model.attention: [perfomer]
  - name: b
    task: sleep
    params: {sleep.seconds: -2}
)");
  ASSERT_EQ(p.size(), 4u) << Joined(p);
  EXPECT_EQ(p[0].rfind("g.yaml:2:18:", 0), 0u) << p[0];
  EXPECT_EQ(p[1].rfind("g.yaml:7:22:", 0), 0u) << p[1];
  EXPECT_EQ(p[2].rfind("g.yaml:8:25:", 0), 0u) << p[2];
  EXPECT_EQ(p[3].rfind("g.yaml:11:29:", 0), 0u) << p[3];
}

TEST(GridValidation, UnmatchedExcludeIsAWarning) {
  GridParseResult result = ParseGrid(R"(experiments:
  - name: a
    task: benchmark
    grid: {data.max_len: [256]}
    exclude: [{data.max_len: 999}]
)",
                                     "t");
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.grid.warnings.size(), 1u);
  EXPECT_EQ(FormatGridIssue("g.yaml", result.grid.warnings[0]),
            "g.yaml:5:15: this 'exclude' entry matches no point");
}

}  // namespace
}  // namespace attnsweep
