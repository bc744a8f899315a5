// What a training job (train, next_event) keeps between attempts: its progress (epochs, step, early
// stopping, curves), the best epoch's weights, and a checkpoint file holding those with the model,
// the optimizer and every random state, so a job started again continues at its next epoch with the
// same result.
#pragma once

#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

namespace attnsweep {

// Weights and buffers by name, copied: the best epoch's, kept for testing.
using Snapshot = std::vector<std::pair<std::string, at::Tensor>>;

Snapshot TakeSnapshot(torch::nn::Module& module);
void RestoreSnapshot(const Snapshot& snapshot, torch::nn::Module& module);

// Everything that must survive between attempts besides weights and optimizer.
struct Progress {
  int64_t epochs_done = 0;
  int64_t step = 0;
  // The validation figure early stopping follows, higher is better: ROC AUC (train), minus the
  // next category's log loss (next_event).
  double best_score = -std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0;
  int64_t epochs_without_gain = 0;
  double train_seconds = 0;
  double train_tokens = 0;
  std::vector<double> train_loss, val_score;
  // Further per-epoch validation figures by name (next_event's accuracy, gap error, ...).
  std::map<std::string, std::vector<double>> val_curves;
  Snapshot best;
};

// Writes everything (beside, then renamed: a crash while saving leaves the previous file whole).
void SaveCheckpoint(const std::string& path, torch::nn::Module& model,
                    torch::optim::AdamW& optimizer, const Progress& progress,
                    const std::mt19937_64& shuffle, const std::mt19937_64& crop);
// Restores what SaveCheckpoint wrote, LibTorch's global CPU generator included (not a GPU's: a
// job resumed on a GPU continues with other random draws there). `model` and the weights go to
// `device`.
void LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                    torch::optim::AdamW& optimizer, Progress* progress, std::mt19937_64* shuffle,
                    std::mt19937_64* crop, const c10::Device& device);

}  // namespace attnsweep
