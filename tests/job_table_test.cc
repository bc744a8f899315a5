// The dry-run table: which keys become columns, in what order, and what absent keys show.
#include "cli/job_table.h"

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

JobSpec Job(const std::string& experiment, const std::string& key, const char* config) {
  JobSpec job;
  job.experiment = experiment;
  job.job_key = key;
  job.config = nlohmann::json::parse(config);
  return job;
}

using Row = std::vector<nlohmann::json>;

TEST(JobTable, ColumnsAreTheKeysThatVaryInFirstSeenOrder) {
  const std::vector<JobSpec> jobs = {
      Job("speed", "0123456789abcdef0123",
          R"({"task": "benchmark", "seed": 1, "data": {"max_len": 64},
              "model": {"attention": "softmax", "heads": 2}})"),
      Job("speed", "fedcba9876543210fedc",
          R"({"task": "benchmark", "seed": 1, "data": {"max_len": 128},
              "model": {"attention": "softmax", "heads": 2}})"),
      Job("speed", "00112233445566778899",
          R"({"task": "benchmark", "seed": 2, "data": {"max_len": 64},
              "model": {"attention": "performer", "heads": 2, "performer": {"features": 32}}})"),
  };
  const Table table = VaryingKeysTable(jobs);
  // model.heads and task are the same everywhere; model.performer.features has one value where it
  // is set (model.attention tells that job apart already).
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job", "data.max_len",
                                                     "model.attention", "seed"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0], (Row{"speed", "0123456789ab", 64, "softmax", 1}));
  EXPECT_EQ(table.rows[1], (Row{"speed", "fedcba987654", 128, "softmax", 1}));
  EXPECT_EQ(table.rows[2], (Row{"speed", "001122334455", 64, "performer", 2}));
}

TEST(JobTable, AKeyMissingFromSomeJobsIsNullThereAndAListIsOneCell) {
  const std::vector<JobSpec> jobs = {
      Job("a", "aaaaaaaaaaaaaaaa", R"({"task": "sleep", "sleep": {"seconds": 1.0}})"),
      Job("c", "cccccccccccccccc",
          R"({"task": "sleep", "sleep": {"seconds": 1.0}, "widths": [0.01]})"),
      Job("b", "bbbbbbbbbbbbbbbb",
          R"({"task": "sleep", "sleep": {"seconds": 1.0}, "widths": [0.01, 0.05]})"),
  };
  const Table table = VaryingKeysTable(jobs);
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job", "widths"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0], (Row{"a", "aaaaaaaaaaaa", nullptr}));
  EXPECT_EQ(table.rows[1], (Row{"c", "cccccccccccc", "[0.01]"}));
  EXPECT_EQ(table.rows[2], (Row{"b", "bbbbbbbbbbbb", "[0.01,0.05]"}));
}

TEST(JobTable, AKeyOnlyOneTaskReadsIsAColumnOnlyWhenItsValueVaries) {
  // A benchmark + sleep grid: bench.* and model.* are absent from the sleep jobs, sleep.* from
  // the benchmark jobs. That alone does not make them columns; only a second value does.
  const std::vector<JobSpec> jobs = {
      Job("speed", "1111111111111111",
          R"({"task": "benchmark", "seed": 1, "data": {"max_len": 64},
              "model": {"attention": "softmax", "d_model": 64},
              "bench": {"batch_size": 2, "repeats": 10}})"),
      Job("speed", "2222222222222222",
          R"({"task": "benchmark", "seed": 1, "data": {"max_len": 128},
              "model": {"attention": "softmax", "d_model": 64},
              "bench": {"batch_size": 2, "repeats": 10}})"),
      Job("naps", "3333333333333333",
          R"({"task": "sleep", "seed": 1, "sleep": {"seconds": 0.5},
              "fault": {"kind": "none"}})"),
      Job("naps", "4444444444444444",
          R"({"task": "sleep", "seed": 1, "sleep": {"seconds": 2.0},
              "fault": {"kind": "none"}})"),
  };
  const Table table = VaryingKeysTable(jobs);
  // task takes two values; data.max_len and sleep.seconds take two values among the jobs that
  // have them. seed is shared; model.*, bench.* and fault.kind have one value where present.
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job", "task", "data.max_len",
                                                     "sleep.seconds"}));
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(table.rows[0], (Row{"speed", "111111111111", "benchmark", 64, nullptr}));
  EXPECT_EQ(table.rows[1], (Row{"speed", "222222222222", "benchmark", 128, nullptr}));
  EXPECT_EQ(table.rows[2], (Row{"naps", "333333333333", "sleep", nullptr, 0.5}));
  EXPECT_EQ(table.rows[3], (Row{"naps", "444444444444", "sleep", nullptr, 2.0}));
}

TEST(JobTable, AVariantKeyIsAColumnOnlyWhenItVaries) {
  // model.chunked.block has one value wherever it is set: model.attention already tells the jobs
  // apart. The Performer's feature counts differ: a column, null for the other variants.
  const std::vector<JobSpec> jobs = {
      Job("speed", "aaaaaaaaaaaaaaaa",
          R"({"task": "benchmark", "model": {"attention": "softmax", "d_model": 64}})"),
      Job("speed", "bbbbbbbbbbbbbbbb",
          R"({"task": "benchmark",
              "model": {"attention": "softmax_chunked", "d_model": 64, "chunked": {"block": 32}}})"),
      Job("speed", "cccccccccccccccc",
          R"({"task": "benchmark",
              "model": {"attention": "performer", "d_model": 64, "performer": {"features": 16}}})"),
      Job("speed", "dddddddddddddddd",
          R"({"task": "benchmark",
              "model": {"attention": "performer", "d_model": 64, "performer": {"features": 64}}})"),
  };
  const Table table = VaryingKeysTable(jobs);
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job", "model.attention",
                                                     "model.performer.features"}));
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(table.rows[0], (Row{"speed", "aaaaaaaaaaaa", "softmax", nullptr}));
  EXPECT_EQ(table.rows[1], (Row{"speed", "bbbbbbbbbbbb", "softmax_chunked", nullptr}));
  EXPECT_EQ(table.rows[2], (Row{"speed", "cccccccccccc", "performer", 16}));
}

TEST(JobTable, OneJobHasNoVaryingKeys) {
  const Table table = VaryingKeysTable({Job("a", "abcdef0123456789", R"({"seed": 1})")});
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job"}));
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0], (Row{"a", "abcdef012345"}));
}

TEST(JobTable, CountsPerExperimentInTheOrderOfTheirFirstJob) {
  const std::vector<JobSpec> jobs = {Job("speed", "1", "{}"), Job("quality", "2", "{}"),
                                     Job("speed", "3", "{}")};
  EXPECT_EQ(JobCountsByExperiment(jobs), "speed: 2 jobs, quality: 1 job; 3 in all");
}

TEST(JobTable, CountsSayWhereAndWhenASchedulerJudges) {
  std::vector<JobSpec> jobs = {Job("tune", "1", "{}"), Job("tune", "2", "{}"),
                               Job("tune", "3", "{}"), Job("plain", "4", "{}")};
  for (int i = 0; i < 3; ++i) {
    EarlyStopping stopping;
    stopping.rule.max_epochs = 27;  // asha, grace 1, reduction 3: rungs 1, 3, 9
    stopping.group = i == 2 ? "tune: model.attention=gru" : "tune: model.attention=bag";
    jobs[i].plan.early_stopping = stopping;
  }
  EXPECT_EQ(JobCountsByExperiment(jobs),
            "tune: 3 jobs (asha in 2 groups, judged after epochs 1, 3, 9 of 27), plain: 1 job; "
            "4 in all");
}

}  // namespace
}  // namespace attnsweep
