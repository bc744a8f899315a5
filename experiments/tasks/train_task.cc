// `train`: the transaction classifier of any attention variant, trained for gender on the data
// section's transactions. AdamW; the learning rate rises linearly over the first train.warmup of
// the steps, then follows a cosine to zero; gradients clipped to train.clip; early stopping on
// validation ROC AUC (train.patience); the best epoch's weights are tested.
//
// After every epoch the whole state goes to the job's checkpoint: weights, optimizer, step, every
// random state (LibTorch's generator, shuffling, cropping), every module's buffers (Performer's
// feature draws among them: a variant's random state is a buffer, saved with its weights), the
// early stopping state and its best weights, the curves so far. A job started again with a
// checkpoint continues at the next epoch; with the same binary and thread count on CPU it ends with
// the same metrics as an uninterrupted run (timings aside). A finished job's checkpoint is removed
// unless train.keep_checkpoint.
//
// On a GPU the passes run under bf16 autocast (matrix products in bf16, softmax, losses and
// Performer's random features in fp32); the weights and the optimizer stay fp32, and bf16's fp32
// range needs no loss scaling. peak_mb is then the GPU's caching allocator's peak.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/auc_interval.h"
#include "experiments/data/batches.h"
#include "experiments/data/oracle_posterior.h"
#include "experiments/data/prepared_data.h"
#include "experiments/device/job_device.h"
#include "experiments/models/transaction_classifier.h"
#include "experiments/roc_auc.h"
#include "experiments/tasks/tasks.h"
#include "experiments/tasks/training_loop.h"

namespace attnsweep {
namespace {

struct Evaluation {
  double auc = 0.5, accuracy = 0, logloss = 0;
  std::vector<double> probabilities;
  std::vector<int> labels;
  std::vector<int64_t> customer_ids;  // the example each probability is for
};

Evaluation Evaluate(TransactionModelImpl& model, const TransactionDataset& data,
                    const std::vector<int64_t>& customers, const TrainSettings& s,
                    const JobContext& context, const c10::Device& device) {
  model.eval();
  at::NoGradGuard no_grad;
  const auto mixed_precision = MixedPrecisionOn(device);
  std::vector<double> probabilities;
  std::vector<int> labels;
  std::vector<int64_t> customer_ids;
  ForEachEvaluationBatch(data, customers, s, context, device,
                         [&](const TransactionBatch& batch, const std::vector<int64_t>& chunk) {
                           const auto p =
                               at::sigmoid(model.forward(batch)).to(at::kDouble).cpu().contiguous();
                           probabilities.insert(probabilities.end(), p.data_ptr<double>(),
                                                p.data_ptr<double>() + p.numel());
                           for (int64_t c : chunk) {
                             labels.push_back(data.labels[c]);
                             customer_ids.push_back(data.customer_ids[c]);
                           }
                         });
  Evaluation e;
  e.auc = RocAuc(probabilities, labels);
  e.accuracy = Accuracy(probabilities, labels);
  e.logloss = LogLoss(probabilities, labels);
  e.probabilities = std::move(probabilities);
  e.labels = std::move(labels);
  e.customer_ids = std::move(customer_ids);
  return e;
}

}  // namespace

void RunTrainTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const TrainSettings s = TrainSettingsOf(config);
  const TrainingData split = PrepareTrainingData(config);
  const TransactionDataset& data = split.dataset();
  const auto &train = split.train, &validation = split.validation, &test = split.test;

  const c10::Device device = JobDevice(context.device);
  torch::manual_seed(s.seed);
  const std::shared_ptr<TransactionModelImpl> model = MakeTransactionModel(
      config.at("model"), s.max_len, data.mcc_vocabulary(), data.type_vocabulary());
  model->to(device);
  // Validation ROC AUC picks the best epoch; without a validation split, training loss does.
  const TrainingOutcome trained = Train(
      s, *model, data, train, context, device,
      [&](const TransactionBatch& batch) {
        return at::binary_cross_entropy_with_logits(model->forward(batch), batch.labels);
      },
      [&](Progress* progress) {
        return validation.empty() ? -progress->train_loss.back()
                                  : Evaluate(*model, data, validation, s, context, device).auc;
      },
      validation.empty() ? TrainingLossFigure() : ValidationFigure{"val_auc", 1});
  const Progress& progress = trained.progress;
  const Evaluation tested = Evaluate(*model, data, test, s, context, device);
  // 95 % percentile bootstrap over the test customers (validation needs no interval).
  const AucInterval interval = BootstrapAucInterval(tested.probabilities, tested.labels);
  output->metrics = {
      {"test_auc", tested.auc},         {"test_auc_lo", interval.lo},
      {"test_auc_hi", interval.hi},     {"test_accuracy", tested.accuracy},
      {"test_logloss", tested.logloss},
  };
  // Where the data's generator knows each customer's posterior (a planted signal family), the
  // Bayes-optimal AUC on the very same test customers: what this job's test_auc is held to.
  if (const auto oracle = ReadOraclePosteriors(split.prepared.folder)) {
    std::vector<double> scores;
    std::vector<int> labels;
    for (size_t i = 0; i < tested.customer_ids.size(); ++i) {
      const auto found = oracle->find(tested.customer_ids[i]);
      if (found == oracle->end()) continue;
      scores.push_back(found->second);
      labels.push_back(tested.labels[i]);
    }
    if (scores.size() == tested.customer_ids.size()) {
      const AucInterval bounds = BootstrapAucInterval(scores, labels);
      output->metrics.insert(output->metrics.end(), {{"oracle_test_auc", RocAuc(scores, labels)},
                                                     {"oracle_test_auc_lo", bounds.lo},
                                                     {"oracle_test_auc_hi", bounds.hi}});
    }
  }
  // Each test customer's score: `results --compare` pairs two jobs on the same customers.
  for (size_t i = 0; i < tested.probabilities.size(); ++i) {
    output->predictions.push_back(
        {tested.customer_ids[i], tested.labels[i], tested.probabilities[i]});
  }
  const auto figures = TrainingFigures(trained, split);
  output->metrics.insert(output->metrics.end(), figures.begin(), figures.end());
  if (!validation.empty()) output->metrics.emplace_back("best_val_auc", progress.best_score);
  for (size_t e = 0; e < progress.train_loss.size(); ++e) {
    const auto epoch = static_cast<int64_t>(e + 1);
    output->curves.push_back({epoch, "train_loss", progress.train_loss[e]});
    if (!validation.empty()) output->curves.push_back({epoch, "val_auc", progress.val_score[e]});
  }
  RemoveFinishedCheckpoint(context, s);
}

}  // namespace attnsweep
