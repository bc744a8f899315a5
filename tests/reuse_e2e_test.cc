// `run --reuse`: jobs whose key already has a done result in the store are listed in the new batch,
// done, with that result, and never run again; only new or changed jobs run.
#include <nlohmann/json.hpp>

#include "tests/cli_test_fixture.h"

namespace attnsweep {
namespace {

constexpr const char* kSeeds = R"(experiments:
  - name: nap
    task: sleep
    params: {sleep.seconds: 0.05}
    grid: {seed: [1, 2, 3]}
  - name: broken
    task: fault
    params: {fault.kind: throw, fault.seconds: 0}
)";

TEST_F(CliTest, ReuseRunsNothingTwiceAndShowsTheSameResults) {
  Write("grid.yaml", kSeeds);
  auto first = Run("run grid.yaml --db a.db");
  ASSERT_EQ(first.exit_code, 1) << first.err;  // the fault job fails, on purpose

  auto second = Run("run grid.yaml --db a.db --reuse");
  // The failed job is not reused: it runs (and fails) again.
  ASSERT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.err.find("--reuse: 3 of 4 jobs reuse a done result"), std::string::npos)
      << second.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2 AND status = 'done' AND "
                     "reused_from IS NOT NULL AND attempts = 0"),
            3);
  // No attempt was made for a reused job; the failed one had its own.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id "
                     "WHERE j.batch_id = 2"),
            1);
  // The very same figures (seconds and node_jobs of each): a slept time measured again would
  // differ in its last digits.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics n JOIN jobs jn ON jn.id = n.job_id "
                     "WHERE jn.batch_id = 2 AND jn.reused_from IS NOT NULL"),
            6);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics n JOIN jobs jn ON jn.id = n.job_id "
                     "JOIN jobs jo ON jo.id = jn.reused_from JOIN metrics o ON o.job_id = jo.id "
                     "AND o.name = n.name WHERE jn.batch_id = 2 AND o.value = n.value"),
            6);
  auto results = Run("results 2 --db a.db --by seed --metrics seconds --format csv");
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(results.out, Run("results 1 --db a.db --by seed --metrics seconds --format csv").out);
  auto status = Run("status 2 --db a.db");
  EXPECT_NE(status.out.find("3/4 done (3 reused), 1 failed"), std::string::npos) << status.out;
  // A reused row says where its result came from, not another run's rank, host and seconds as if
  // it had run in this batch.
  auto jobs = Run("jobs 2 --db a.db --format json");
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  int reused_rows = 0;
  for (const auto& row : nlohmann::json::parse(jobs.out)) {
    if (row["kind"] != "reused") continue;
    ++reused_rows;
    const int64_t original = QueryInt("SELECT reused_from FROM jobs WHERE id = " +
                                      std::to_string(row["job_id"].get<int64_t>()));
    EXPECT_EQ(row["progress"], "reused from batch 1 (job " + std::to_string(original) + ")");
    EXPECT_TRUE(row["rank"].is_null() && row["host"].is_null() && row["seconds"].is_null()) << row;
  }
  EXPECT_EQ(reused_rows, 3);
  // A third run reuses the results of the runs that produced them, not the second batch's copies.
  ASSERT_EQ(Run("run grid.yaml --db a.db --reuse").exit_code, 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs j JOIN jobs o ON o.id = j.reused_from "
                     "WHERE j.batch_id = 3 AND o.batch_id = 1 AND o.attempts = 1"),
            3);
}

TEST_F(CliTest, ReuseRunsOnlyTheJobsAChangedGridAdds) {
  Write("grid.yaml", kSeeds);
  ASSERT_EQ(Run("run grid.yaml --db a.db").exit_code, 1);
  // One more seed, and the broken experiment gone.
  Write("more.yaml", SleepGrid("nap", "0.05", 4));
  auto more = Run("run more.yaml --db a.db --reuse");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_NE(more.err.find("3 of 4 jobs reuse"), std::string::npos) << more.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2 AND attempts = 1 AND "
                     "reused_from IS NULL AND json_extract(config, '$.seed') = 4"),
            1);
  // A changed value is a new job: nothing to reuse.
  Write("longer.yaml", SleepGrid("nap", "0.06", 2));
  auto longer = Run("run longer.yaml --db a.db --reuse");
  ASSERT_EQ(longer.exit_code, 0) << longer.err;
  EXPECT_NE(longer.err.find("0 of 2 jobs reuse"), std::string::npos) << longer.err;
  // Without --reuse everything runs, as before.
  ASSERT_EQ(Run("run more.yaml --db a.db").exit_code, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 4 AND attempts = 1"), 4);
}

}  // namespace
}  // namespace attnsweep
