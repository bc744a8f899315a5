// The grid's `scheduler:` section (experiments/scheduler_section.h): the rule each job carries in
// its plan, its group, max_epochs as the jobs' epochs, the job key that tells a job stopped early
// from one trained to the end, and every way of writing it wrong refused with its place.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "experiments/grid.h"
#include "tests/grid_test_util.h"

namespace attnsweep {
namespace {

constexpr const char* kAshaGrid =
    "experiments:\n"
    "  - name: tune\n"
    "    task: train\n"
    "    grid: {model.attention: [softmax, performer], seed: [1, 2]}\n"
    "    search: {samples: 3, seed: 1, train.lr: {loguniform: [0.0003, 0.1]}}\n"
    "    scheduler: {type: asha, metric: val_auc, mode: max, grace: 1, max_epochs: 9,\n"
    "                reduction: 3, per: model.attention}\n";

TEST(SchedulerSection, EveryJobCarriesTheRuleItsGroupAndMaxEpochsAsItsEpochs) {
  const Grid grid = MustParse(kAshaGrid);
  ASSERT_EQ(grid.jobs.size(), 12u);  // 2 variants x 2 seeds x 3 samples
  std::map<std::string, int> per_group;
  for (const JobSpec& job : grid.jobs) {
    EXPECT_EQ(job.config["train"]["epochs"], 9);
    ASSERT_TRUE(job.plan.early_stopping.has_value());
    const EarlyStopping& stopping = *job.plan.early_stopping;
    EXPECT_EQ(stopping.rule.type, RungRule::Type::kAsha);
    EXPECT_TRUE(stopping.rule.higher_is_better);
    EXPECT_EQ(stopping.metric, "val_auc");
    EXPECT_EQ(stopping.DecisionEpochs(), (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(stopping.group,
              "tune: model.attention=" + job.config["model"]["attention"].get<std::string>());
    ++per_group[stopping.group];
    // The plan keeps it through the store.
    const auto stored = JobPlan::FromJson(job.plan.ToJson().dump());
    ASSERT_TRUE(stored && stored->early_stopping);
    EXPECT_EQ(stored->early_stopping->ToJson(), stopping.ToJson());
  }
  EXPECT_EQ(per_group, (std::map<std::string, int>{{"tune: model.attention=performer", 6},
                                                   {"tune: model.attention=softmax", 6}}));
}

TEST(SchedulerSection, AJobStoppedEarlyIsNotTheSameJobAsOneTrainedToTheEnd) {
  const Grid scheduled = MustParse(kAshaGrid);
  // The same points, trained to the end: the same configs, other keys.
  const Grid full = MustParse(
      "experiments:\n  - name: tune\n    task: train\n"
      "    grid: {model.attention: [softmax, performer], seed: [1, 2], train.epochs: [9]}\n"
      "    search: {samples: 3, seed: 1, train.lr: {loguniform: [0.0003, 0.1]}}\n");
  ASSERT_EQ(full.jobs.size(), scheduled.jobs.size());
  std::set<std::string> scheduled_keys;
  for (const JobSpec& job : scheduled.jobs) scheduled_keys.insert(job.job_key);
  for (size_t i = 0; i < full.jobs.size(); ++i) {
    EXPECT_EQ(full.jobs[i].config, scheduled.jobs[i].config);
    EXPECT_FALSE(full.jobs[i].plan.early_stopping.has_value());
    EXPECT_EQ(scheduled_keys.count(full.jobs[i].job_key), 0u);
  }
  // Another rule, other keys again; the same rule, the same keys.
  std::string median = kAshaGrid;
  median.replace(median.find("type: asha"), 10, "type: median");
  median.replace(median.find("reduction: 3, "), 14, "");
  const Grid other = MustParse(median);
  for (size_t i = 0; i < other.jobs.size(); ++i) {
    EXPECT_NE(other.jobs[i].job_key, scheduled.jobs[i].job_key);
    EXPECT_EQ(other.jobs[i].plan.early_stopping->DecisionEpochs(),
              (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  }
  EXPECT_EQ(MustParse(kAshaGrid).jobs[0].job_key, scheduled.jobs[0].job_key);
}

TEST(SchedulerSection, WithoutPerTheExperimentIsOneGroupAndModeDefaultsToTheTasks) {
  const Grid grid = MustParse(
      "experiments:\n  - name: nx\n    task: next_event\n    grid: {seed: [1, 2]}\n"
      "    scheduler: {type: median, metric: val_next_mcc_logloss, max_epochs: 4}\n");
  ASSERT_EQ(grid.jobs.size(), 2u);
  for (const JobSpec& job : grid.jobs) {
    EXPECT_EQ(job.plan.early_stopping->group, "nx");
    EXPECT_FALSE(job.plan.early_stopping->rule.higher_is_better);
    EXPECT_EQ(job.config["train"]["epochs"], 4);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SchedulerSection, GridProblems,
    ::testing::Values(
        GridProblemCase{"NotAMapping",
                        "experiments:\n  - {name: a, task: train, scheduler: asha}\n",
                        {"g.yaml:2:39: 'scheduler' takes a mapping, e.g. {type: asha, metric: "
                         "val_auc, mode: max, grace: 1, max_epochs: 27, reduction: 3, per: "
                         "model.attention}"}},
        GridProblemCase{"ATaskWithoutEpochs",
                        "experiments:\n  - name: a\n    task: benchmark\n"
                        "    scheduler: {type: asha, metric: val_auc, max_epochs: 9}\n",
                        {"g.yaml:4:16: task 'benchmark' has no epochs to stop early: 'scheduler' "
                         "applies to the tasks train, next_event"}},
        GridProblemCase{"WrongTypeMetricModeAndUnknownKey",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    scheduler: {type: hyperband, metric: test_auc, mode: min, "
                        "max_epochs: 9, patience: 2}\n",
                        {"g.yaml:4:23: 'scheduler.type' must be asha or median, got 'hyperband'",
                         "g.yaml:4:42: 'scheduler.metric' test_auc is not a figure task 'train' "
                         "reports each epoch: use val_auc",
                         "g.yaml:4:58: 'scheduler.mode' min would keep the worst jobs: val_auc "
                         "is better higher (mode: max)",
                         "g.yaml:4:78: unknown scheduler key 'patience' (known: type, metric, "
                         "mode, grace, max_epochs, reduction, per)"}},
        GridProblemCase{"NumbersOutOfRange",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    scheduler: {type: asha, metric: val_auc, grace: 9, max_epochs: 9, "
                        "reduction: 1}\n",
                        {"g.yaml:4:68: 'scheduler.max_epochs' (9) must exceed 'grace' (9): no "
                         "job would ever be judged",
                         "g.yaml:4:82: 'scheduler.reduction' must be an integer from 2 to "
                         "1000"}},
        GridProblemCase{"MissingMaxEpochsAndReductionForMedian",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    scheduler: {type: median, metric: val_auc, reduction: 3}\n",
                        {"g.yaml:4:16: 'scheduler' needs 'max_epochs': what a job never stopped "
                         "trains (it sets train.epochs)",
                         "g.yaml:4:59: 'scheduler.reduction' applies to type asha only"}},
        GridProblemCase{"PerNamesUnknownOrForeignKeys",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    scheduler: {type: asha, metric: val_auc, max_epochs: 9, per: "
                        "[model.atention, bench.repeats, model.attention, model.attention]}\n",
                        {"g.yaml:4:67: 'scheduler.per': unknown key 'model.atention'; did you mean "
                         "'model.attention'? (`attnsweep keys` lists every key)",
                         "g.yaml:4:83: 'scheduler.per': 'bench.repeats' is not read by task "
                         "'train'",
                         "g.yaml:4:115: 'scheduler.per' lists 'model.attention' twice"}},
        GridProblemCase{"EpochsSetBesideTheScheduler",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    grid: {train.epochs: [3, 5]}\n"
                        "    scheduler: {type: asha, metric: val_auc, max_epochs: 9}\n",
                        {"g.yaml:4:27: 'train.epochs' is set by 'scheduler.max_epochs' (9) in an "
                         "experiment with a scheduler: remove it here",
                         "g.yaml:4:30: 'train.epochs' is set by 'scheduler.max_epochs' (9) in an "
                         "experiment with a scheduler: remove it here"}}),
    GridProblemCaseName);

}  // namespace
}  // namespace attnsweep
