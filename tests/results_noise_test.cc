// `results` marks a benchmark cell noisy when a job's timed pass hit its cap before its median's
// interval was narrow enough, or when the jobs' median intervals do not all overlap; `--slope`
// says which fits rest on noisy or too few points.
#include <gtest/gtest.h>

#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/results_slope.h"

namespace attnsweep {
namespace {

JobRecord Timed(int64_t id, int length, int seed, double ms, double lo, double hi, bool noisy) {
  JobRecord job;
  job.id = id;
  job.status = "done";
  job.config = nlohmann::json{{"task", "benchmark"},
                              {"seed", seed},
                              {"model", {{"attention", "softmax"}}},
                              {"data", {{"max_len", length}}}}
                   .dump();
  job.metrics = {{"fwd_ms", ms},
                 {"fwd_ms_lo", lo},
                 {"fwd_ms_hi", hi},
                 {"fwd_ms_noisy", noisy ? 1 : 0},
                 {"peak_mb", 4}};
  return job;
}

TEST(ResultsNoise, AFlaggedPassOrDisjointIntervalsMakeACellNoisy) {
  const std::vector<JobRecord> jobs = {
      Timed(1, 256, 1, 10, 9.8, 10.2, false), Timed(2, 256, 2, 10.1, 9.9, 10.3, false),
      Timed(3, 512, 1, 20, 19.5, 20.5, true), Timed(4, 512, 2, 20, 19.5, 20.5, false),
      Timed(5, 1024, 1, 40, 39, 41, false),   Timed(6, 1024, 2, 60, 58, 62, false),
      Timed(7, 2048, 1, 80, 79, 81, false),   Timed(8, 2048, 2, 81, 80.9, 82, false)};
  const ResultsTable table = AggregateResults(jobs, {{"data.max_len"}, {"fwd_ms", "peak_mb"}});
  ASSERT_EQ(table.groups.size(), 4u);
  EXPECT_EQ(table.groups[0].noisy.count("fwd_ms"), 0u);  // overlapping, unflagged
  EXPECT_EQ(table.groups[1].noisy.count("fwd_ms"), 1u);  // one job flagged
  EXPECT_EQ(table.groups[2].noisy.count("fwd_ms"), 1u);  // 39..41 and 58..62 never meet
  EXPECT_EQ(table.groups[3].noisy.count("fwd_ms"), 0u);  // 79..81 and 80.9..82 share 80.9..81
  EXPECT_EQ(table.groups[1].noisy.count("peak_mb"), 0u);
  EXPECT_EQ(table.noise_measured, std::set<std::string>{"fwd_ms"});
  // Marked for people, a column for machines, a note under the table.
  EXPECT_EQ(SummaryCell(table.groups[1], "fwd_ms", true), "20 ± 0*");
  EXPECT_EQ(SummaryCell(table.groups[0], "fwd_ms", true), "10.05 ± 0.07071");
  const Table csv = ResultsToTable(table, OutputFormat::kCsv);
  const std::vector<std::string> columns = {
      "data.max_len", "fwd_ms",      "fwd_ms_std", "fwd_ms_noisy",
      "peak_mb",      "peak_mb_std", "n",          "failed"};
  EXPECT_EQ(csv.columns, columns);
  EXPECT_EQ(csv.rows[0][3], false);
  EXPECT_EQ(csv.rows[2][3], true);
  EXPECT_NE(NoisyCellsNote(table).find("fwd_ms"), std::string::npos);
  // Without noisy cells among those shown, no note.
  ResultsTable quiet = table;
  quiet.metrics = {"peak_mb"};
  EXPECT_EQ(NoisyCellsNote(quiet), "");
  // Seeds' min and max are kept beside mean and std (the report's log-axis bars).
  EXPECT_DOUBLE_EQ(table.groups[2].metrics.at("fwd_ms").min, 40);
  EXPECT_DOUBLE_EQ(table.groups[2].metrics.at("fwd_ms").max, 60);
}

TEST(ResultsNoise, SlopesSayWhenTheyRestOnNoisyOrTooFewPoints) {
  std::vector<JobRecord> jobs = {Timed(1, 256, 1, 10, 9.8, 10.2, false),
                                 Timed(2, 512, 1, 20, 19.5, 20.5, true),
                                 Timed(3, 1024, 1, 40, 39, 41, false)};
  const ResultsTable three = AggregateResults(jobs, {{"data.max_len"}, {"fwd_ms", "peak_mb"}});
  const auto rows = FitSlopes(three, "data.max_len");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(*rows[0].slopes.at("fwd_ms"), 1.0, 1e-12);
  EXPECT_EQ(rows[0].caveat, "fwd_ms: 1 of 3 points noisy");
  jobs.erase(jobs.begin() + 1);
  const ResultsTable two = AggregateResults(jobs, {{"data.max_len"}, {"fwd_ms", "peak_mb"}});
  EXPECT_EQ(FitSlopes(two, "data.max_len")[0].caveat, "fwd_ms: 2 points; peak_mb: 2 points");
}

}  // namespace
}  // namespace attnsweep
