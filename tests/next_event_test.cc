// The next_event task through RunJob: on the synthetic chain it learns more than the categories'
// frequencies and stays below the generator's own distribution; every position with a next
// event, and no other, is predicted; padding changes no prediction; an interrupted job resumes at
// its next epoch and ends where an uninterrupted one does.
#include <gtest/gtest.h>

#include "tests/first_job_config.h"
#include "tests/resume_check.h"
#include "tests/scratch_dir_test.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include <ATen/ATen.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "experiments/data/batches.h"
#include "experiments/data/prepared_data.h"
#include "experiments/grid.h"
#include "experiments/job_runner.h"
#include "experiments/models/next_event_model.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class NextEvent : public ScratchDirTest {
 protected:
  // One next_event job's resolved config: a small model on a small chain.
  static nlohmann::json Config(const std::string& params) {
    return TaskJobConfig("next_event",
                         R"(  data: {customers: 1200, max_len: 64, sequence: markov_v1}
  model: {d_model: 32, heads: 2, layers: 1, ff_dim: 64}
  train: {epochs: 6, batch_size: 32, patience: 0}
)",
                         params);
  }
};

TEST_F(NextEvent, LearnsTheChainBeyondTheFrequenciesAndStaysBelowTheOracle) {
  JobContext context;
  context.threads = 2;
  const nlohmann::json config = Config("model.attention: softmax");
  const JobOutput output = RunJob(config, context);
  ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
  auto m = MetricsByName(output);
  std::printf(
      "next category: accuracy %.3f (frequencies %.3f, oracle %.3f), log loss %.3f "
      "(%.3f, %.3f); log gap MAE %.3f (oracle %.3f)\n",
      m["next_mcc_accuracy"], m["marginal_next_mcc_accuracy"], m["oracle_next_mcc_accuracy"],
      m["next_mcc_logloss"], m["marginal_next_mcc_logloss"], m["oracle_next_mcc_logloss"],
      m["next_gap_mae"], m["oracle_next_gap_mae"]);
  // The chain makes the current category informative: the model must use it.
  EXPECT_GT(m["next_mcc_accuracy"], m["marginal_next_mcc_accuracy"] + 0.05);
  EXPECT_LT(m["next_mcc_logloss"], m["marginal_next_mcc_logloss"] - 0.1);
  // No model beats the distribution the events were drawn from (beyond noise, which 4000 test
  // positions keep within about 0.01 of log loss).
  EXPECT_GT(m["next_mcc_logloss"], m["oracle_next_mcc_logloss"] - 0.02);
  EXPECT_LT(m["next_mcc_accuracy"], m["oracle_next_mcc_accuracy"] + 0.02);
  EXPECT_GE(m["next_mcc_top5"], m["next_mcc_accuracy"]);
  // The gap: better than the median of a category it does not know, no better than the oracle.
  EXPECT_GT(m["next_gap_mae"], m["oracle_next_gap_mae"] - 0.01);

  // Every test position that has a next event is predicted, and no other: the last event of each
  // window and its padding are not.
  const PreparedData prepared = PrepareData(config.at("data"));
  double positions = 0;
  for (int64_t c : prepared.dataset->CustomersOf(Split::kTest)) {
    positions += static_cast<double>(std::min<int64_t>(prepared.dataset->length(c), 64) - 1);
  }
  EXPECT_EQ(m["test_positions"], positions);
  EXPECT_EQ(m["oracle_positions"], positions);  // every category of the chain is in the vocabulary
  // Curves per epoch: training loss and the validation figures.
  std::map<std::string, int> curves;
  for (const auto& point : output.curves) ++curves[point.name];
  for (const char* name :
       {"train_loss", "val_next_mcc_accuracy", "val_next_mcc_logloss", "val_next_gap_mae"}) {
    EXPECT_EQ(curves[name], 6) << name;
  }
}

TEST_F(NextEvent, PaddingChangesNoPredictionAtARealPosition) {
  torch::manual_seed(2);
  const nlohmann::json config = Config("model.attention: performer");
  const PreparedData prepared = PrepareData(config.at("data"));
  const TransactionDataset& data = *prepared.dataset;
  // A long window and a short one: the short one is padded to the long one's length.
  std::vector<int64_t> customers = data.CustomersOf(Split::kTrain);
  std::sort(customers.begin(), customers.end(),
            [&](int64_t a, int64_t b) { return data.length(a) < data.length(b); });
  const auto shorter = std::find_if(customers.begin(), customers.end(),
                                    [&](int64_t c) { return data.length(c) >= 5; });
  ASSERT_LT(data.length(*shorter), 40);
  const std::vector<int64_t> pair = {customers.back(), *shorter};
  std::mt19937_64 unused;
  TransactionBatch batch = MakeBatch(data, pair, 64, Crop::kLast, &unused);
  const int64_t real = std::min<int64_t>(data.length(pair[1]), 64);
  ASSERT_LT(real, batch.mcc.size(1));
  NextEventModel model(config.at("model"), 64, data.mcc_vocabulary(), data.type_vocabulary());
  model->eval();
  at::NoGradGuard no_grad;
  const NextEventPredictions before = model->forward(batch);
  // What the padding holds is changed to real-looking events.
  const int64_t pad = batch.mcc.size(1) - real;
  batch.mcc[1].narrow(0, real, pad).fill_(3);
  batch.type[1].narrow(0, real, pad).fill_(2);
  batch.weekday[1].narrow(0, real, pad).fill_(4);
  batch.hour[1].narrow(0, real, pad).fill_(9);
  batch.numeric[1].narrow(0, real, pad).fill_(1.5);
  const NextEventPredictions after = model->forward(batch);
  for (const auto& [a, b] : {std::make_pair(before.category, after.category),
                             std::make_pair(before.log_gap, after.log_gap)}) {
    EXPECT_LT((a[1].narrow(0, 0, real) - b[1].narrow(0, 0, real)).abs().max().item<double>(), 1e-5);
    EXPECT_LT((a[0] - b[0]).abs().max().item<double>(), 1e-6);
  }
}

TEST_F(NextEvent, InterruptedJobResumesAtItsNextEpochWithTheSameResult) {
  // Causal Performer with redraws: its feature draws are part of what a checkpoint restores.
  const nlohmann::json config = Config(
      "model.attention: performer\n      model.performer: {redraw: 5, features: 8}\n      "
      "data.crop: random\n      data.customers: 500\n      train.epochs: 3");
  ExpectResumedJobEndsAsTheWholeOne(
      config, dir_, 3,
      {"next_mcc_accuracy", "next_mcc_logloss", "next_gap_mae", "next_type_accuracy", "best_epoch",
       "best_val_next_mcc_logloss"});
}

}  // namespace
}  // namespace attnsweep
