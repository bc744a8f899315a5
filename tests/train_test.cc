// The train task through RunJob: it learns the synthetic signal, an interrupted job resumes at its
// next epoch and ends exactly where an uninterrupted one does, and a blow-up is `diverged`.
#include <gtest/gtest.h>

#include "tests/first_job_config.h"
#include "tests/resume_check.h"
#include "tests/scratch_dir_test.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/grid.h"
#include "experiments/job_runner.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class TrainTask : public ScratchDirTest {
 protected:
  // One train job's resolved config: a small model on a small synthetic set with a strong signal.
  static nlohmann::json Config(const std::string& params) {
    // The base in defaults, the test's own settings in params: params override defaults.
    return TaskJobConfig("train", R"(  data: {customers: 1500, max_len: 64, signal: 3}
  model: {d_model: 16, heads: 2, layers: 1, ff_dim: 32}
  train: {epochs: 4, batch_size: 32, lr: 0.003, patience: 0}
)",
                         params);
  }
};

TEST_F(TrainTask, LearnsTheSyntheticSignal) {
  JobContext context;
  context.threads = 2;
  // A little more data and width than the other tests: about 4 s on 2 cores.
  const JobOutput output = RunJob(
      Config("model.attention: softmax\n      data.customers: 3000\n      data.max_len: 128\n"
             "      model.d_model: 32\n      model.ff_dim: 64"),
      context);
  ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
  auto m = MetricsByName(output);
  std::printf("tiny softmax classifier: test AUC %.3f, accuracy %.3f, %.2f s per epoch\n",
              m["test_auc"], m["test_accuracy"], m["epoch_s"]);
  EXPECT_GE(m["test_auc"], 0.7);
  // The bootstrap interval brackets the value.
  EXPECT_LT(m["test_auc_lo"], m["test_auc"]);
  EXPECT_GT(m["test_auc_hi"], m["test_auc"]);
  for (const char* name : {"test_accuracy", "test_logloss", "best_epoch", "train_tokens_per_s",
                           "epoch_s", "peak_mb", "best_val_auc"}) {
    ASSERT_TRUE(m.count(name)) << name;
    EXPECT_GT(m[name], 0) << name;
  }
  EXPECT_EQ(m["epochs"], 4);
  EXPECT_EQ(m["resumed_at_epoch"], 1);
  int losses = 0, aucs = 0;
  for (const auto& point : output.curves) {
    losses += point.name == "train_loss";
    aucs += point.name == "val_auc";
  }
  EXPECT_EQ(losses, 4);
  EXPECT_EQ(aucs, 4);
}

// The Linformer defect of issue 14: with its position-indexed projection mixing noise into the
// residual stream from the first step, it ended below a model with no mixing at all. With the
// residual gate (the default) it must do at least about as well as the bag of events.
TEST_F(TrainTask, LinformerLearnsAtLeastAsWellAsTheBag) {
  JobContext context;
  context.threads = 2;
  std::map<std::string, double> auc;
  for (const std::string variant : {"bag", "linformer", "linformer_without_gate"}) {
    const bool gated = variant != "linformer_without_gate";
    const JobOutput output = RunJob(
        Config("model.attention: " + std::string(gated ? variant : "linformer") +
               "\n      model.linformer.k: 16\n      train.lr: 0.01\n      model.residual_gate: " +
               (gated ? "true" : "false")),
        context);
    ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
    auc[variant] = MetricsByName(output)["best_val_auc"];
  }
  std::printf("validation AUC: bag %.3f, linformer %.3f, linformer without the gate %.3f\n",
              auc["bag"], auc["linformer"], auc["linformer_without_gate"]);
  EXPECT_GE(auc["bag"], 0.62);  // it learned something (chance is 0.5)
  EXPECT_GE(auc["linformer"], auc["bag"] - 0.03);
}

// Standardising the pooled vector (model.standardize, the default) is what lets the default recipe
// stop at 6 epochs: without it the head must first learn to amplify differences of a few per cent
// between customers' pooled vectors, and the first epochs learn little (docs/train.md, recipe
// point 7).
TEST_F(TrainTask, StandardisedPoolingLearnsMostOfTheSignalInTheFirstEpoch) {
  JobContext context;
  context.threads = 2;
  std::map<bool, double> auc;
  for (const bool standardize : {false, true}) {
    const JobOutput output =
        RunJob(Config("model.attention: bag\n      train.epochs: 1\n      train.lr: 0.02\n"
                      "      model.standardize: " +
                      std::string(standardize ? "true" : "false")),
               context);
    ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
    auc[standardize] = MetricsByName(output)["best_val_auc"];
  }
  std::printf("validation AUC after one epoch: %.3f not standardised, %.3f standardised\n",
              auc[false], auc[true]);
  EXPECT_GE(auc[true], auc[false] + 0.05);
}

TEST_F(TrainTask, InterruptedJobResumesAtItsNextEpochWithTheSameResult) {
  // Performer with redraws: its feature draws are part of what a checkpoint must restore.
  const nlohmann::json config = Config(
      "model.attention: performer\n      model.performer: {redraw: 5, features: 8}\n      "
      "data.crop: random");
  ExpectResumedJobEndsAsTheWholeOne(
      config, dir_, 4, {"test_auc", "test_accuracy", "test_logloss", "best_epoch", "best_val_auc"});
}

// An early-stopping decision (JobContext::continue_training) ends training after the epoch it was
// asked about: the job tests its best epoch so far and ends done. An attempt that dies before it
// hears the decision leaves it to the next, which asks about the same epoch first and, told to
// stop, ends exactly as the first would have, without another epoch.
TEST_F(TrainTask, ADecisionToStopEndsTrainingThereAndSurvivesAResume) {
  const nlohmann::json config = Config("model.attention: softmax");
  const auto stop_after = [](int64_t last) {
    return [last](const JobProgress& progress) { return progress.epoch < last; };
  };
  JobContext whole;
  whole.threads = 1;
  whole.checkpoint_path = (dir_ / "whole.pt").string();
  whole.continue_training = stop_after(2);
  const JobOutput stopped = RunJob(config, whole);
  ASSERT_EQ(stopped.outcome, JobOutcome::kDone) << stopped.error;
  auto a = MetricsByName(stopped);
  EXPECT_EQ(a["epochs"], 2);
  EXPECT_EQ(a["stopped_at_epoch"], 2);
  EXPECT_LE(a["best_epoch"], 2);
  EXPECT_GT(a.count("test_auc"), 0u);

  JobContext first;
  first.threads = 1;
  first.checkpoint_path = (dir_ / "split.pt").string();
  first.continue_training = [](const JobProgress& progress) {
    if (progress.epoch == 2) throw JobInterrupted();  // gone while the decision is made
    return true;
  };
  EXPECT_EQ(RunJob(config, first).outcome, JobOutcome::kInterrupted);
  JobContext second;
  second.threads = 1;
  second.checkpoint_path = first.checkpoint_path;
  std::vector<int64_t> asked;
  second.continue_training = [&](const JobProgress& progress) {
    asked.push_back(progress.epoch);
    return progress.epoch < 2;
  };
  const JobOutput resumed = RunJob(config, second);
  ASSERT_EQ(resumed.outcome, JobOutcome::kDone) << resumed.error;
  EXPECT_EQ(asked, (std::vector<int64_t>{2})) << "asked about epoch 2 again, and nothing after";
  auto b = MetricsByName(resumed);
  EXPECT_EQ(b["resumed_at_epoch"], 3);
  for (const char* name :
       {"test_auc", "test_logloss", "best_epoch", "best_val_auc", "epochs", "stopped_at_epoch"}) {
    EXPECT_EQ(a[name], b[name]) << name;
  }
  // Never told to stop: no stopped_at_epoch.
  EXPECT_EQ(
      MetricsByName(RunJob(Config("model.attention: bag"), JobContext())).count("stopped_at_epoch"),
      0u);
}

TEST_F(TrainTask, ABlowUpIsDiverged) {
  // AdamW, LayerNorm and a logit loss keep even a learning rate of 10 finite here, so the NaN is
  // forced (train.nan_at_step), as a real one would arrive: in the middle of an epoch.
  const JobOutput output =
      RunJob(Config("model.attention: softmax\n      train.nan_at_step: 30"), JobContext());
  EXPECT_EQ(output.outcome, JobOutcome::kDiverged) << output.error;
  EXPECT_NE(output.error.find("try a lower train.lr"), std::string::npos) << output.error;
}

// Both training tasks say after each epoch where they are: epoch k of train.epochs, and the
// figure early stopping follows, named and valued as the curve they store it as.
TEST_F(TrainTask, EachEpochIsReportedWithTheFigureOfItsValidationCurve) {
  for (const std::string task : {"train", "next_event"}) {
    std::vector<JobProgress> reports;
    JobContext context;
    context.report_progress = [&](const JobProgress& progress) { reports.push_back(progress); };
    const nlohmann::json config =
        TaskJobConfig(task, R"(  data: {customers: 400, max_len: 32, signal: 3}
  model: {d_model: 8, heads: 2, layers: 1, ff_dim: 16}
  train: {epochs: 3, batch_size: 32, patience: 0}
)",
                      "model.attention: bag");
    const JobOutput output = RunJob(config, context);
    ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
    const std::string curve = task == "train" ? "val_auc" : "val_next_mcc_logloss";
    std::map<int64_t, double> by_epoch;
    for (const auto& point : output.curves) {
      if (point.name == curve) by_epoch[point.step] = point.value;
    }
    ASSERT_EQ(reports.size(), 3u) << task;
    for (size_t e = 0; e < reports.size(); ++e) {
      const auto epoch = static_cast<int64_t>(e + 1);
      EXPECT_EQ(reports[e].epoch, epoch) << task;
      EXPECT_EQ(reports[e].epochs, 3) << task;
      EXPECT_EQ(reports[e].first_epoch, 1) << task;
      EXPECT_EQ(reports[e].metric, curve) << task;
      EXPECT_DOUBLE_EQ(reports[e].value, by_epoch.at(epoch)) << task;
    }
  }
}

}  // namespace
}  // namespace attnsweep
