#include "experiments/tasks/training_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <utility>

#include <ATen/ATen.h>
#include <torch/types.h>  // before clip_grad.h, which uses torch::Tensor without including it

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/base/units.h"
#include "experiments/device/job_device.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {

// Linear warm-up, then a cosine from the peak to zero.
double LearningRate(const TrainSettings& s, int64_t step, int64_t total_steps) {
  const double warmup_steps = std::max(1.0, s.warmup * static_cast<double>(total_steps));
  if (step < warmup_steps) return s.lr * (step + 1) / warmup_steps;
  const double progress =
      std::min(1.0, (step - warmup_steps) / std::max(1.0, total_steps - warmup_steps));
  return s.lr * 0.5 * (1 + std::cos(M_PI * progress));
}

// Each parameter once: Linformer's layerwise sharing registers one tensor in every layer.
std::vector<torch::Tensor> DistinctParameters(torch::nn::Module& module) {
  std::vector<torch::Tensor> distinct;
  std::unordered_set<const void*> seen;
  for (const auto& p : module.parameters()) {
    if (seen.insert(p.unsafeGetTensorImpl()).second) distinct.push_back(p);
  }
  return distinct;
}

// This epoch's batches: the training customers shuffled; with length buckets, pools of
// kBucketPool batches each sorted by window length and cut into batches, the batches then shuffled.
// Why: a batch is as long as its longest window, and histories range from a handful of events to
// thousands, so random batches at max_len 1024 are mostly padding.
constexpr int64_t kBucketPool = 50;
std::vector<std::vector<int64_t>> EpochBatches(std::vector<int64_t> order,
                                               const TransactionDataset& data,
                                               const TrainSettings& s, std::mt19937_64* shuffle) {
  std::sort(order.begin(), order.end());
  std::shuffle(order.begin(), order.end(), *shuffle);
  auto window = [&](int64_t customer) { return std::min(data.length(customer), s.max_len); };
  if (s.length_buckets) {
    const int64_t pool = kBucketPool * s.batch_size;
    for (int64_t start = 0; start < static_cast<int64_t>(order.size()); start += pool) {
      const auto end = order.begin() + std::min<int64_t>(order.size(), start + pool);
      std::stable_sort(order.begin() + start, end,
                       [&](int64_t a, int64_t b) { return window(a) < window(b); });
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (size_t start = 0; start < order.size(); start += s.batch_size) {
    batches.emplace_back(order.begin() + start,
                         order.begin() + std::min(order.size(), start + s.batch_size));
  }
  if (s.length_buckets) std::shuffle(batches.begin(), batches.end(), *shuffle);
  return batches;
}

}  // namespace

TrainSettings TrainSettingsOf(const nlohmann::json& config) {
  const auto& train = config.at("train");
  TrainSettings s;
  s.epochs = train.at("epochs").get<int64_t>();
  s.batch_size = train.at("batch_size").get<int64_t>();
  s.patience = train.at("patience").get<int64_t>();
  s.nan_at_step = train.at("nan_at_step").get<int64_t>();
  s.lr = train.at("lr").get<double>();
  s.weight_decay = train.at("weight_decay").get<double>();
  s.warmup = train.at("warmup").get<double>();
  s.clip = train.at("clip").get<double>();
  s.keep_checkpoint = train.at("keep_checkpoint").get<bool>();
  // Configs stored before the key existed keep the batches they were defined with.
  s.length_buckets = train.value("length_buckets", false);
  s.max_len = config.at("data").at("max_len").get<int64_t>();
  s.crop = CropFromName(config.at("data").at("crop").get<std::string>());
  s.seed = config.at("seed").get<uint64_t>();
  return s;
}

TrainingData PrepareTrainingData(const nlohmann::json& config) {
  TrainingData data;
  data.prepared = PrepareData(config.at("data"));
  data.train = data.dataset().CustomersOf(Split::kTrain);
  data.validation = data.dataset().CustomersOf(Split::kValidation);
  data.test = data.dataset().CustomersOf(Split::kTest);
  if (data.train.empty() || data.test.empty()) {
    throw InvalidJobConfig("the data holds " + std::to_string(data.train.size()) +
                           " training and " + std::to_string(data.test.size()) +
                           " test customers: both must be non-empty (more data.customers, or "
                           "other data.test_fraction)");
  }
  return data;
}

std::optional<AutocastScope> MixedPrecisionOn(const c10::Device& device) {
  if (!device.is_cuda()) return std::nullopt;
  return std::make_optional<AutocastScope>(c10::DeviceType::CUDA, at::kBFloat16);
}

TrainingOutcome Train(const TrainSettings& s, torch::nn::Module& model,
                      const TransactionDataset& data, const std::vector<int64_t>& train,
                      const JobContext& context, const c10::Device& device,
                      const BatchLoss& batch_loss, const Validation& validate,
                      const ValidationFigure& figure) {
  torch::optim::AdamW optimizer(DistinctParameters(model),
                                torch::optim::AdamWOptions(s.lr).weight_decay(s.weight_decay));
  std::mt19937_64 shuffle(s.seed * 0x9E3779B97F4A7C15ULL + 1);
  std::mt19937_64 crop(s.seed * 0x9E3779B97F4A7C15ULL + 2);
  TrainingOutcome outcome;
  Progress& progress = outcome.progress;
  const bool checkpointing = !context.checkpoint_path.empty();
  if (checkpointing && std::filesystem::exists(context.checkpoint_path)) {
    LoadCheckpoint(context.checkpoint_path, model, optimizer, &progress, &shuffle, &crop, device);
    outcome.resumed_at = progress.epochs_done + 1;
  }
  const int64_t steps_per_epoch =
      (static_cast<int64_t>(train.size()) + s.batch_size - 1) / s.batch_size;
  const int64_t total_steps = steps_per_epoch * s.epochs;
  const bool stopping_early = s.patience > 0;

  const auto report_of = [&](double score) {
    JobProgress report;
    report.epoch = progress.epochs_done;
    report.epochs = s.epochs;
    report.first_epoch = outcome.resumed_at;
    report.metric = figure.curve;
    report.value = figure.sign * score;
    return report;
  };
  bool stopped = false;
  if (progress.epochs_done > 0 && progress.epochs_done < s.epochs &&
      !context.continue_training(report_of(progress.val_score.back()))) {
    stopped = true;
    outcome.stopped_at = progress.epochs_done;
  }

  PeakMemoryMeasure memory(CudaIndexOf(device));
  while (!stopped && progress.epochs_done < s.epochs &&
         !(stopping_early && progress.epochs_without_gain >= s.patience)) {
    const auto epoch_start = std::chrono::steady_clock::now();
    model.train();
    double loss_sum = 0, tokens = 0;
    for (const std::vector<int64_t>& chunk : EpochBatches(train, data, s, &shuffle)) {
      if (context.stop_requested()) throw JobInterrupted();
      TransactionBatch batch = MakeBatch(data, chunk, s.max_len, s.crop, &crop);
      tokens += static_cast<double>(batch.padding_mask.logical_not().sum().item<int64_t>());
      batch = MovedTo(std::move(batch), device);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options())
            .lr(LearningRate(s, progress.step, total_steps));
      }
      optimizer.zero_grad();
      at::Tensor loss;
      {
        const auto mixed_precision = MixedPrecisionOn(device);
        loss = batch_loss(batch);
      }
      const double value = progress.step + 1 == s.nan_at_step ? std::nan("") : loss.item<double>();
      if (!std::isfinite(value)) {
        throw JobDiverged("the training loss became " + std::to_string(value) + " at epoch " +
                          std::to_string(progress.epochs_done + 1) + ", step " +
                          std::to_string(progress.step + 1) + " (try a lower train.lr)");
      }
      loss.backward();
      if (s.clip > 0)
        torch::nn::utils::clip_grad_norm_(optimizer.param_groups()[0].params(), s.clip);
      optimizer.step();
      ++progress.step;
      loss_sum += value * static_cast<double>(chunk.size());
    }
    progress.train_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    progress.train_tokens += tokens;
    progress.train_loss.push_back(loss_sum / static_cast<double>(train.size()));
    ++progress.epochs_done;
    const double score = validate(&progress);
    progress.val_score.push_back(score);
    if (score > progress.best_score) {
      progress.best_score = score;
      progress.best_epoch = progress.epochs_done;
      progress.epochs_without_gain = 0;
      progress.best = TakeSnapshot(model);
    } else {
      ++progress.epochs_without_gain;
    }
    if (checkpointing) {
      SaveCheckpoint(context.checkpoint_path, model, optimizer, progress, shuffle, crop);
    }
    // After the checkpoint: the epoch reported is one a restarted attempt would not run again.
    const JobProgress report = report_of(score);
    context.report_progress(report);
    if (progress.epochs_done < s.epochs && !context.continue_training(report)) {
      stopped = true;
      outcome.stopped_at = progress.epochs_done;
    }
  }
  outcome.peak_mb = static_cast<double>(memory.PeakAboveBaseline()) / kMiB;
  RestoreSnapshot(progress.best, model);
  return outcome;
}

std::vector<std::pair<std::string, double>> TrainingFigures(const TrainingOutcome& outcome,
                                                            const TrainingData& data) {
  const Progress& progress = outcome.progress;
  std::vector<std::pair<std::string, double>> figures = {
      {"best_epoch", static_cast<double>(progress.best_epoch)},
      {"epochs", static_cast<double>(progress.epochs_done)},
      {"resumed_at_epoch", static_cast<double>(outcome.resumed_at)},

      {"train_tokens_per_s", progress.train_tokens / std::max(1e-9, progress.train_seconds)},
      {"epoch_s", progress.train_seconds / std::max<int64_t>(1, progress.epochs_done)},
      {"peak_mb", outcome.peak_mb},
      {"train_customers", static_cast<double>(data.train.size())},
      {"test_customers", static_cast<double>(data.test.size())},
      {"threads", static_cast<double>(at::get_num_threads())},
  };
  // Only where an early-stopping decision ended training (not where patience or the epochs did).
  if (outcome.stopped_at > 0) {
    figures.emplace_back("stopped_at_epoch", static_cast<double>(outcome.stopped_at));
  }
  return figures;
}

void RemoveFinishedCheckpoint(const JobContext& context, const TrainSettings& settings) {
  if (!context.checkpoint_path.empty() && !settings.keep_checkpoint) {
    std::filesystem::remove(context.checkpoint_path);
  }
}

void ForEachEvaluationBatch(
    const TransactionDataset& data, const std::vector<int64_t>& customers, const TrainSettings& s,
    const JobContext& context, const c10::Device& device,
    const std::function<void(const TransactionBatch&, const std::vector<int64_t>&)>& visit) {
  std::mt19937_64 unused;
  for (size_t start = 0; start < customers.size(); start += s.batch_size) {
    if (context.stop_requested()) throw JobInterrupted();
    const std::vector<int64_t> chunk(
        customers.begin() + start,
        customers.begin() + std::min(customers.size(), start + static_cast<size_t>(s.batch_size)));
    visit(MovedTo(MakeBatch(data, chunk, s.max_len, Crop::kLast, &unused), device), chunk);
  }
}

}  // namespace attnsweep
