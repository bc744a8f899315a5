// `attnsweep jobs`' table (cli/job_rows.h): what a job's kind and progress columns say.
#include "cli/job_rows.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace attnsweep {
namespace {

JobRecord Done(int64_t id, std::map<std::string, double> metrics, int seed) {
  JobRecord job;
  job.id = id;
  job.status = "done";
  job.config = nlohmann::json{{"task", "train"}, {"seed", seed}}.dump();
  job.progress = R"({"epoch":9,"epochs":27,"first_epoch":1,"metric":"val_auc","value":0.7})";
  job.metrics = std::move(metrics);
  return job;
}

nlohmann::json Cell(const Table& table, size_t row, const std::string& column) {
  const auto at = std::find(table.columns.begin(), table.columns.end(), column);
  return table.rows.at(row).at(static_cast<size_t>(at - table.columns.begin()));
}

TEST(JobsTable, AJobAnEarlyStoppingDecisionEndedSaysWhere) {
  const Table table = JobsTable(
      {Done(1, {{"stopped_at_epoch", 3}, {"epochs", 3}}, 1), Done(2, {{"epochs", 27}}, 2)});
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(Cell(table, 0, "kind"), "stopped");
  EXPECT_EQ(Cell(table, 0, "progress"), "stopped at epoch 3");
  // One that ran its epochs shows its last report, and no kind.
  EXPECT_TRUE(Cell(table, 1, "kind").is_null());
  EXPECT_EQ(Cell(table, 1, "progress"), "epoch 9/27, val_auc 0.7");
}

TEST(JobsTable, AStoppedJobSaysWhyFromItsStoredDecision) {
  RungDecisionRecord went_on, stopped;
  went_on.job_id = 1;
  went_on.epoch = 1;
  went_on.reason = "epoch 1: 0 jobs of 4 better, the top 2 go on";
  stopped.job_id = 1;
  stopped.epoch = 3;
  stopped.go_on = false;
  stopped.reason = "epoch 3: 2 jobs of 4 better, the top 2 go on";
  const Table table =
      JobsTable({Done(1, {{"stopped_at_epoch", 3}}, 1), Done(2, {}, 2)}, "", {went_on, stopped});
  EXPECT_EQ(Cell(table, 0, "progress"), "stopped at epoch 3 (2 jobs of 4 better, the top 2 go on)");
  EXPECT_EQ(Cell(table, 1, "progress"), "epoch 9/27, val_auc 0.7");
}

}  // namespace
}  // namespace attnsweep
