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
  // model.heads and task are the same everywhere; model.performer.features is absent from two.
  EXPECT_EQ(table.columns,
            (std::vector<std::string>{"experiment", "job", "data.max_len", "model.attention",
                                      "seed", "model.performer.features"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0], (Row{"speed", "0123456789ab", 64, "softmax", 1, nullptr}));
  EXPECT_EQ(table.rows[1], (Row{"speed", "fedcba987654", 128, "softmax", 1, nullptr}));
  EXPECT_EQ(table.rows[2], (Row{"speed", "001122334455", 64, "performer", 2, 32}));
}

TEST(JobTable, AKeyMissingFromSomeJobsVariesAndAListIsOneCell) {
  const std::vector<JobSpec> jobs = {
      Job("a", "aaaaaaaaaaaaaaaa", R"({"task": "sleep", "sleep": {"seconds": 1.0}})"),
      Job("b", "bbbbbbbbbbbbbbbb",
          R"({"task": "sleep", "sleep": {"seconds": 1.0}, "widths": [0.01, 0.05]})"),
  };
  const Table table = VaryingKeysTable(jobs);
  EXPECT_EQ(table.columns, (std::vector<std::string>{"experiment", "job", "widths"}));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0], (Row{"a", "aaaaaaaaaaaa", nullptr}));
  EXPECT_EQ(table.rows[1], (Row{"b", "bbbbbbbbbbbb", "[0.01,0.05]"}));
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

}  // namespace
}  // namespace attnsweep
