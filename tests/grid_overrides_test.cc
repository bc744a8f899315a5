// Command-line overrides on a grid: the axes they set, checked against the jobs a grid file with
// those axes written in it expands to.
#include <gtest/gtest.h>

#include <set>

#include "experiments/grid.h"
#include "experiments/grid_overrides.h"
#include "tests/grid_test_util.h"

namespace attnsweep {
namespace {

GridParseResult WithOverrides(const std::string& yaml, const std::vector<std::string>& texts) {
  std::vector<GridOverride> overrides;
  for (const auto& text : texts) {
    std::string problem;
    overrides.push_back(ParseGridOverride(text, &problem));
    EXPECT_EQ(problem, "") << text;
  }
  return ParseGrid(yaml, "test", overrides);
}

std::set<std::string> Keys(const Grid& grid) {
  std::set<std::string> keys;
  for (const auto& job : grid.jobs) keys.insert(job.experiment + "/" + job.job_key);
  return keys;
}

TEST(GridOverrides, AnOverrideIsTheAxisWrittenInTheFile) {
  const std::string grid = R"(experiments:
  - name: q
    task: train
    params: {train: {lr: 0.1}, data.customers: 200}
    grid:
      train: {lr: [0.5]}
      model.attention: [softmax]
  - name: s
    task: benchmark
    grid: {data.max_len: [64]}
)";
  const GridParseResult overridden =
      WithOverrides(grid, {"train.lr=0.01,0.03", "model.attention=softmax,performer"});
  ASSERT_TRUE(overridden.ok()) << Joined(Problems(grid));
  const Grid written = MustParse(R"(experiments:
  - name: q
    task: train
    params: {train: {lr: 0.1}, data.customers: 200}
    grid:
      train.lr: [0.01, 0.03]
      model.attention: [softmax, performer]
  - name: s
    task: benchmark
    grid: {data.max_len: [64], model.attention: [softmax, performer]}
)");
  EXPECT_EQ(Keys(overridden.grid), Keys(written));
  EXPECT_EQ(overridden.grid.jobs.size(), 6u);
}

TEST(GridOverrides, BracketsAndBracesKeepTheirCommas) {
  const GridParseResult three =
      WithOverrides("experiments: [{name: s, task: benchmark}]\n", {"bench.batch_size=[2,4],8"});
  EXPECT_EQ(three.grid.jobs.size(), 3u);
  const GridParseResult range =
      WithOverrides("experiments: [{name: s, task: sleep}]\n", {"seed={range: [1, 5]}"});
  EXPECT_EQ(range.grid.jobs.size(), 5u);
}

TEST(GridOverrides, RefusedWithoutALineNamingTheOverride) {
  std::string problem;
  ParseGridOverride("model.attention=softmax,bogus", &problem);
  EXPECT_NE(problem.find("override 'model.attention=softmax,bogus'"), std::string::npos) << problem;
  const std::string zipped = R"(experiments:
  - name: z
    task: benchmark
    zip: {data.max_len: [64, 128], bench.batch_size: [2, 1]}
)";
  const auto result = WithOverrides(zipped, {"data.max_len=256"});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(FormatGridIssue("g.yaml", result.errors[0]),
            "g.yaml: override 'data.max_len=256': experiment 'z' zips data.max_len in its 'zip', "
            "which an override cannot change: change it in the grid file");
}

// data.signal_kind came after stores held jobs: at its default it is left out of the config, so a
// job that does not set it keeps the key it always had.
TEST(SignalKindKey, AtItsDefaultTheJobKeyIsUnchanged) {
  const Grid plain = MustParse("experiments: [{name: q, task: train}]\n");
  const Grid mix =
      MustParse("experiments: [{name: q, task: train, params: {data.signal_kind: mix}}]\n");
  const Grid recall =
      MustParse("experiments: [{name: q, task: train, params: {data.signal_kind: recall}}]\n");
  ASSERT_EQ(plain.jobs.size(), 1u);
  EXPECT_FALSE(plain.jobs[0].config["data"].contains("signal_kind"));
  EXPECT_EQ(plain.jobs[0].job_key, mix.jobs[0].job_key);
  EXPECT_EQ(recall.jobs[0].config["data"]["signal_kind"], "recall");
  EXPECT_NE(plain.jobs[0].job_key, recall.jobs[0].job_key);
}

}  // namespace
}  // namespace attnsweep
