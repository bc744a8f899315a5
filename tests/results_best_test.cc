// `results --best` (cli/analysis/results_best.h): chosen on the validation figure averaged over
// seeds, never on test; reported with the test figure's interval worked by hand; spent against the
// budget; refused where there is nothing to choose on.
#include "cli/analysis/results_best.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace attnsweep {
namespace {

JobRecord Job(int64_t id, const std::string& task, const std::string& variant, double lr, int seed,
              std::map<std::string, double> metrics, const std::string& status = "done") {
  JobRecord job;
  job.id = id;
  job.status = status;
  job.config = nlohmann::json{{"task", task},
                              {"seed", seed},
                              {"model", {{"attention", variant}}},
                              {"train", {{"lr", lr}, {"epochs", 10}}}}
                   .dump();
  job.metrics = std::move(metrics);
  return job;
}

const std::vector<std::string> kBy = {"model.attention"};

TEST(ResultsBest, ChoosesOnValidationAndReportsTestWithItsInterval) {
  // softmax at lr 0.1 validates best (0.81 on average) though lr 0.01 tests far better: the
  // choice is 0.1, and its test figure is what is reported.
  const std::vector<JobRecord> jobs = {
      Job(1, "train", "softmax", 0.1, 1,
          {{"best_val_auc", 0.80}, {"test_auc", 0.70}, {"epochs", 4}}),
      Job(2, "train", "softmax", 0.1, 2,
          {{"best_val_auc", 0.82}, {"test_auc", 0.72}, {"epochs", 6}}),
      Job(3, "train", "softmax", 0.01, 1,
          {{"best_val_auc", 0.78}, {"test_auc", 0.90}, {"epochs", 10}}),
      Job(4, "train", "softmax", 0.01, 2,
          {{"best_val_auc", 0.79}, {"test_auc", 0.91}, {"epochs", 10}}),
      Job(5, "train", "performer", 0.1, 1,
          {{"best_val_auc", 0.60},
           {"test_auc", 0.61},
           {"epochs", 3},
           {"test_auc_lo", 0.55},
           {"test_auc_hi", 0.67}}),
      Job(6, "train", "performer", 0.01, 1,
          {{"best_val_auc", 0.65},
           {"test_auc", 0.64},
           {"epochs", 8},
           {"test_auc_lo", 0.58},
           {"test_auc_hi", 0.70}}),
      // A failed job spends nothing that is counted and is never chosen.
      Job(7, "train", "performer", 0.5, 1, {}, "failed"),
  };
  std::string error;
  const auto best = ChooseBest(jobs, kBy, TunedKeys(jobs, kBy), &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].group[0], "softmax");
  EXPECT_EQ(best[0].configuration.at("train.lr"), 0.1);
  EXPECT_EQ(best[0].configurations, 2);
  EXPECT_EQ(best[0].seeds, 2);
  EXPECT_NEAR(best[0].validation, 0.81, 1e-12);
  EXPECT_NEAR(best[0].test, 0.71, 1e-12);
  // Two seeds: sd 0.01414, t(0.975, 1) = 12.706, half-width 12.706 * 0.01414 / sqrt(2) = 0.1271.
  EXPECT_NEAR(best[0].test_lo, 0.71 - 0.12706, 1e-4);
  EXPECT_NEAR(best[0].test_hi, 0.71 + 0.12706, 1e-4);
  EXPECT_EQ(best[0].spent, 30);
  EXPECT_EQ(best[0].budget, 40);
  // performer: one seed each; lr 0.01 validates best; its own interval is reported.
  EXPECT_EQ(best[1].configuration.at("train.lr"), 0.01);
  EXPECT_EQ(best[1].configurations, 2);
  EXPECT_NEAR(best[1].test, 0.64, 1e-12);
  EXPECT_NEAR(best[1].test_lo, 0.58, 1e-12);
  EXPECT_NEAR(best[1].test_hi, 0.70, 1e-12);
  EXPECT_EQ(best[1].spent, 11);
  EXPECT_EQ(best[1].budget, 20);

  const Table people = BestToTable(best, kBy, TunedKeys(jobs, kBy), OutputFormat::kTable);
  ASSERT_EQ(people.rows.size(), 2u);
  EXPECT_EQ(people.columns.back(), "epochs spent");
  EXPECT_EQ(people.rows[0].back(), "30 of 40");
  const Table machines = BestToTable(best, kBy, TunedKeys(jobs, kBy), OutputFormat::kCsv);
  EXPECT_EQ(machines.columns.back(), "budget");
}

TEST(ResultsBest, AConfigurationWithAFailedSeedIsNotChosen) {
  // lr 0.1 validates best on the seed that survived (0.90), but its other seed diverged: the
  // choice is lr 0.01 (0.80 over both seeds), and lr 0.1 is counted as left out.
  const std::vector<JobRecord> jobs = {
      Job(1, "train", "softmax", 0.1, 1, {{"best_val_auc", 0.90}, {"test_auc", 0.85}}),
      Job(2, "train", "softmax", 0.1, 2, {}, "failed"),
      Job(3, "train", "softmax", 0.01, 1, {{"best_val_auc", 0.79}, {"test_auc", 0.78}}),
      Job(4, "train", "softmax", 0.01, 2, {{"best_val_auc", 0.81}, {"test_auc", 0.80}}),
  };
  std::string error;
  const auto best = ChooseBest(jobs, kBy, TunedKeys(jobs, kBy), &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].configuration.at("train.lr"), 0.01);
  EXPECT_NEAR(best[0].validation, 0.80, 1e-12);
  EXPECT_EQ(best[0].configurations, 1);
  EXPECT_EQ(best[0].left_out, 1);
  EXPECT_EQ(best[0].seeds, 2);
}

TEST(ResultsBest, LowerIsBetterWhereTheTaskSaysSo) {
  // next_event is tuned on its validation log loss: the lower one wins.
  const std::vector<JobRecord> jobs = {
      Job(1, "next_event", "softmax", 0.1, 1,
          {{"best_val_next_mcc_logloss", 2.5}, {"next_mcc_logloss", 2.6}}),
      Job(2, "next_event", "softmax", 0.01, 1,
          {{"best_val_next_mcc_logloss", 2.1}, {"next_mcc_logloss", 2.2}}),
  };
  std::string error;
  const auto best = ChooseBest(jobs, kBy, TunedKeys(jobs, kBy), &error);
  ASSERT_EQ(best.size(), 1u) << error;
  EXPECT_EQ(best[0].configuration.at("train.lr"), 0.01);
  EXPECT_EQ(best[0].test_metric, "next_mcc_logloss");
  EXPECT_NEAR(best[0].test, 2.2, 1e-12);
}

TEST(ResultsBest, IsRefusedWithoutAFigureToChooseOnOrWithTwo) {
  std::string error;
  EXPECT_TRUE(ChooseBest({Job(1, "benchmark", "softmax", 0.1, 1, {{"fwd_ms", 3}})}, kBy, {}, &error)
                  .empty());
  EXPECT_NE(error.find("validation figure"), std::string::npos) << error;
  error.clear();
  EXPECT_TRUE(
      ChooseBest({Job(1, "train", "softmax", 0.1, 1, {{"best_val_auc", 0.7}}),
                  Job(2, "next_event", "softmax", 0.1, 1, {{"best_val_next_mcc_logloss", 2.0}})},
                 kBy, {}, &error)
          .empty());
  EXPECT_NE(error.find("different figures"), std::string::npos) << error;
}

}  // namespace
}  // namespace attnsweep
