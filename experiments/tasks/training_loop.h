// The training loop the train and next_event tasks share: AdamW with linear warm-up and a cosine
// decay, gradient clipping, batches of customers (length buckets, crops), a diverged loss caught,
// early stopping on a validation figure, the best epoch's weights kept, and a checkpoint after
// every epoch from which a job started again continues at its next epoch with the same result.
// Each task says only what a batch's loss is and how validation scores the model.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/nn/module.h>
#include <nlohmann/json_fwd.hpp>

#include "experiments/data/batches.h"
#include "experiments/data/dataset.h"
#include "experiments/data/prepared_data.h"
#include "experiments/device/autocast_scope.h"
#include "experiments/job_contract.h"
#include "experiments/tasks/train_checkpoint.h"

namespace attnsweep {

// The training keys of a config (KeyGroup::kTraining) and what they need from the data section.
struct TrainSettings {
  int64_t epochs, batch_size, max_len, patience, nan_at_step;
  double lr, weight_decay, warmup, clip;
  bool keep_checkpoint, length_buckets;
  Crop crop;
  uint64_t seed;
};

TrainSettings TrainSettingsOf(const nlohmann::json& config);

// The data a training job reads (its data section, prepared once and cached) and its splits by
// customer. Throws InvalidJobConfig when the training or the test split is empty.
struct TrainingData {
  PreparedData prepared;
  std::vector<int64_t> train, validation, test;
  const TransactionDataset& dataset() const { return *prepared.dataset; }
};
TrainingData PrepareTrainingData(const nlohmann::json& config);

// bf16 autocast on a GPU; nothing on the CPU, whose runs keep fp32 throughout.
std::optional<AutocastScope> MixedPrecisionOn(const c10::Device& device);

// A training batch on the job's device -> its loss (a scalar), under the caller's autocast.
using BatchLoss = std::function<at::Tensor(const TransactionBatch& batch)>;
// After each epoch: the validation figure early stopping follows (higher is better); it may add
// per-epoch figures of its own to progress->val_curves.
using Validation = std::function<double(Progress* progress)>;

// What the progress reported after each epoch (JobContext::report_progress) calls the figure early
// stopping follows: the name of the curve the task stores it as, and the sign that turns the score
// (higher is better) back into that curve's value (-1 for a loss).
struct ValidationFigure {
  std::string curve;
  double sign = 1;
};
// Without validation customers both tasks follow the training loss (the score is minus it).
inline ValidationFigure TrainingLossFigure() { return {"train_loss", -1}; }

struct TrainingOutcome {
  Progress progress;       // epochs, curves, best epoch (its weights are back in the model)
  int64_t resumed_at = 1;  // the epoch this attempt began with
  int64_t stopped_at = 0;  // the epoch JobContext::continue_training ended it after; 0: never
  double peak_mb = 0;      // memory above the baseline while training
};

// Trains `model` (already on `device`) on the `train` customers of `data`. `validate` is called
// after every epoch; without validation customers the caller passes one that returns minus the
// last training loss. After every epoch the job's progress (the epoch, and the score as `figure`
// names it) goes to context.report_progress. Throws JobInterrupted, JobDiverged (job_contract.h).
TrainingOutcome Train(const TrainSettings& settings, torch::nn::Module& model,
                      const TransactionDataset& data, const std::vector<int64_t>& train,
                      const JobContext& context, const c10::Device& device,
                      const BatchLoss& batch_loss, const Validation& validate,
                      const ValidationFigure& figure);

// What every training job reports beside its task's figures: epochs run, the best one, the epoch
// this attempt resumed at, training tokens per second, seconds per epoch, peak memory, the
// splits' sizes and the threads.
std::vector<std::pair<std::string, double>> TrainingFigures(const TrainingOutcome& outcome,
                                                            const TrainingData& data);

// A finished job's checkpoint goes, unless train.keep_checkpoint.
void RemoveFinishedCheckpoint(const JobContext& context, const TrainSettings& settings);

// Evaluation batches: `customers` in order, batch_size at a time, each window the last max_len
// events, on `device`; `visit` sees each batch with its customers. Stops with JobInterrupted when
// the job is asked to stop.
void ForEachEvaluationBatch(
    const TransactionDataset& data, const std::vector<int64_t>& customers,
    const TrainSettings& settings, const JobContext& context, const c10::Device& device,
    const std::function<void(const TransactionBatch&, const std::vector<int64_t>&)>& visit);

}  // namespace attnsweep
