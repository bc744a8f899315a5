// `train`: the transaction classifier of any attention variant, trained for gender on the data
// section's transactions. AdamW; the learning rate rises linearly over the first train.warmup of
// the steps, then follows a cosine to zero; gradients clipped to train.clip; early stopping on
// validation ROC AUC (train.patience); the best epoch's weights are tested.
//
// After every epoch the whole state goes to the job's checkpoint: weights, optimizer, step, every
// random state (LibTorch's generator, shuffling, cropping), Performer's feature draws, the early
// stopping state and its best weights, the curves so far. A job started again with a checkpoint
// continues at the next epoch; with the same binary and thread count on CPU it ends with the same
// metrics as an uninterrupted run (timings aside). A finished job's checkpoint is removed unless
// train.keep_checkpoint.
//
// On a GPU the passes run under bf16 autocast (matrix products in bf16, softmax, losses and
// Performer's random features in fp32); the weights and the optimizer stay fp32, and bf16's fp32
// range needs no loss scaling. peak_mb is then the GPU's caching allocator's peak.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <torch/types.h>  // before clip_grad.h, which uses torch::Tensor without including it

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/auc_interval.h"
#include "experiments/data/batches.h"
#include "experiments/data/prepared_data.h"
#include "experiments/device/autocast_scope.h"
#include "experiments/device/job_device.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/models/transaction_classifier.h"
#include "experiments/roc_auc.h"
#include "experiments/tasks/tasks.h"
#include "experiments/tasks/train_checkpoint.h"
#include "experiments/units.h"
#include "experiments/work_estimate.h"

namespace attnsweep {
namespace {

struct TrainSettings {
  int64_t epochs, batch_size, max_len, patience, nan_at_step;
  double lr, weight_decay, warmup, clip;
  bool keep_checkpoint, length_buckets;
  Crop crop;
  uint64_t seed;
};

TrainSettings SettingsOf(const nlohmann::json& config) {
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

struct Evaluation {
  double auc = 0.5, accuracy = 0, logloss = 0;
  std::vector<double> probabilities;
  std::vector<int> labels;
};

// bf16 autocast on a GPU; nothing on the CPU, whose runs keep fp32 throughout.
std::optional<AutocastScope> MixedPrecisionOn(const c10::Device& device) {
  if (!device.is_cuda()) return std::nullopt;
  return std::make_optional<AutocastScope>(c10::DeviceType::CUDA, at::kBFloat16);
}

Evaluation Evaluate(TransactionModelImpl& model, const TransactionDataset& data,
                    const std::vector<int64_t>& customers, const TrainSettings& s,
                    const JobContext& context, const c10::Device& device) {
  model.eval();
  at::NoGradGuard no_grad;
  const auto mixed_precision = MixedPrecisionOn(device);
  std::vector<double> probabilities;
  std::vector<int> labels;
  std::mt19937_64 unused;
  for (size_t start = 0; start < customers.size(); start += s.batch_size) {
    if (context.stop_requested()) throw JobInterrupted();
    const std::vector<int64_t> chunk(
        customers.begin() + start,
        customers.begin() + std::min(customers.size(), start + static_cast<size_t>(s.batch_size)));
    const TransactionBatch batch =
        MovedTo(MakeBatch(data, chunk, s.max_len, Crop::kLast, &unused), device);
    const auto p = at::sigmoid(model.forward(batch)).to(at::kDouble).cpu().contiguous();
    probabilities.insert(probabilities.end(), p.data_ptr<double>(),
                         p.data_ptr<double>() + p.numel());
    for (int64_t c : chunk) labels.push_back(data.labels[c]);
  }
  Evaluation e;
  e.auc = RocAuc(probabilities, labels);
  e.accuracy = Accuracy(probabilities, labels);
  e.logloss = LogLoss(probabilities, labels);
  e.probabilities = std::move(probabilities);
  e.labels = std::move(labels);
  return e;
}

void RunTrainTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const TrainSettings s = SettingsOf(config);
  const PreparedData prepared = PrepareData(config.at("data"));
  const TransactionDataset& data = *prepared.dataset;
  const auto train = data.CustomersOf(Split::kTrain);
  const auto validation = data.CustomersOf(Split::kValidation);
  const auto test = data.CustomersOf(Split::kTest);
  if (train.empty() || test.empty()) {
    throw InvalidJobConfig("the data holds " + std::to_string(train.size()) + " training and " +
                           std::to_string(test.size()) +
                           " test customers: both must be non-empty (more data.customers, or "
                           "other data.test_fraction)");
  }

  const c10::Device device = JobDevice(context.device);
  torch::manual_seed(s.seed);
  const std::shared_ptr<TransactionModelImpl> model = MakeTransactionModel(
      config.at("model"), s.max_len, data.mcc_vocabulary(), data.type_vocabulary());
  model->to(device);
  torch::optim::AdamW optimizer(DistinctParameters(*model),
                                torch::optim::AdamWOptions(s.lr).weight_decay(s.weight_decay));
  std::mt19937_64 shuffle(s.seed * 0x9E3779B97F4A7C15ULL + 1);
  std::mt19937_64 crop(s.seed * 0x9E3779B97F4A7C15ULL + 2);
  Progress progress;
  const bool checkpointing = !context.checkpoint_path.empty();
  int64_t resumed_at = 1;
  if (checkpointing && std::filesystem::exists(context.checkpoint_path)) {
    LoadCheckpoint(context.checkpoint_path, *model, optimizer, &progress, &shuffle, &crop, device);
    resumed_at = progress.epochs_done + 1;
  }
  const int64_t steps_per_epoch =
      (static_cast<int64_t>(train.size()) + s.batch_size - 1) / s.batch_size;
  const int64_t total_steps = steps_per_epoch * s.epochs;
  // Validation picks the best epoch; without a validation split, training loss does.
  const bool stopping_early = s.patience > 0;

  PeakMemoryMeasure memory(CudaIndexOf(device));
  while (progress.epochs_done < s.epochs &&
         !(stopping_early && progress.epochs_without_gain >= s.patience)) {
    const auto epoch_start = std::chrono::steady_clock::now();
    model->train();
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
        loss = at::binary_cross_entropy_with_logits(model->forward(batch), batch.labels);
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
    const double auc = validation.empty()
                           ? -progress.train_loss.back()
                           : Evaluate(*model, data, validation, s, context, device).auc;
    progress.val_auc.push_back(validation.empty() ? std::nan("") : auc);
    if (auc > progress.best_auc) {
      progress.best_auc = auc;
      progress.best_epoch = progress.epochs_done;
      progress.epochs_without_gain = 0;
      progress.best = TakeSnapshot(*model);
    } else {
      ++progress.epochs_without_gain;
    }
    if (checkpointing) {
      SaveCheckpoint(context.checkpoint_path, *model, optimizer, progress, shuffle, crop);
    }
  }
  const double peak_mb = static_cast<double>(memory.PeakAboveBaseline()) / kMiB;

  RestoreSnapshot(progress.best, *model);
  const Evaluation tested = Evaluate(*model, data, test, s, context, device);
  // 95 % percentile bootstrap over the test customers (validation needs no interval).
  const AucInterval interval = BootstrapAucInterval(tested.probabilities, tested.labels);
  output->metrics = {
      {"test_auc", tested.auc},
      {"test_auc_lo", interval.lo},
      {"test_auc_hi", interval.hi},
      {"test_accuracy", tested.accuracy},
      {"test_logloss", tested.logloss},
      {"best_epoch", static_cast<double>(progress.best_epoch)},
      {"epochs", static_cast<double>(progress.epochs_done)},
      {"resumed_at_epoch", static_cast<double>(resumed_at)},
      {"train_tokens_per_s", progress.train_tokens / std::max(1e-9, progress.train_seconds)},
      {"epoch_s", progress.train_seconds / std::max<int64_t>(1, progress.epochs_done)},
      {"peak_mb", peak_mb},
      {"train_customers", static_cast<double>(train.size())},
      {"test_customers", static_cast<double>(test.size())},
      {"threads", static_cast<double>(at::get_num_threads())},
  };
  if (!validation.empty()) output->metrics.emplace_back("best_val_auc", progress.best_auc);
  for (size_t e = 0; e < progress.train_loss.size(); ++e) {
    const auto epoch = static_cast<int64_t>(e + 1);
    output->curves.push_back({epoch, "train_loss", progress.train_loss[e]});
    if (!validation.empty()) output->curves.push_back({epoch, "val_auc", progress.val_auc[e]});
  }
  if (checkpointing && !s.keep_checkpoint) std::filesystem::remove(context.checkpoint_path);
}

}  // namespace

TaskDefinition TrainTask() {
  TaskDefinition task;
  task.name = "train";
  task.headline_metrics = {"test_auc", "test_accuracy", "test_logloss", "epoch_s"};
  task.help = "trains the transaction classifier for gender; ROC AUC on held-out customers";
  task.keys = {
      ParamSpec::String("data.crop", "last")
          .Choices({"last", "first", "random"})
          .Help("which data.max_len events of a longer history training sees; evaluation takes "
                "the last"),
      ParamSpec::Int("train.epochs", 6).Range(1, 100000).Help("passes over the training split"),
      ParamSpec::Int("train.batch_size", 32).Range(1, 1 << 20).Help("customers per training step"),
      ParamSpec::Float("train.lr", 0.02).Range(0, 10).Help("peak learning rate"),
      ParamSpec::Float("train.weight_decay", 0.01)
          .Range(0, 10)
          .Help("AdamW's decoupled weight decay"),
      ParamSpec::Float("train.warmup", 0.1)
          .Range(0, 1)
          .Help("share of the steps over which the learning rate rises linearly; a cosine decay "
                "follows"),
      ParamSpec::Float("train.clip", 1.0)
          .Range(0, 1e6)
          .Help("gradient norm clipped to this (0: no clipping)"),
      ParamSpec::Int("train.patience", 3)
          .Range(0, 100000)
          .Help("stop after this many epochs without a better validation ROC AUC (0: never stop "
                "early)"),
      ParamSpec::Int("train.nan_at_step", 0)
          .Range(0, 1 << 30)
          .Help("testing aid: the loss of this step (1-based) is made NaN, to exercise the "
                "diverged outcome (0: never)"),
      ParamSpec::Bool("train.length_buckets", true)
          .Help("batch customers of similar window length (shuffled pools of 50 batches sorted by "
                "length; the batches shuffled), so batches carry little padding"),
      ParamSpec::Bool("train.keep_checkpoint", false)
          .Help("keep a finished job's checkpoint (it is removed otherwise)"),
  };
  task.reads = {{KeyGroup::kModel, {}}, {KeyGroup::kEncoder, {}}, {KeyGroup::kTransactions, {}}};
  task.estimate_seconds = [](const nlohmann::json& config) {
    const auto& data = config.at("data");
    // The real data's labelled customers when the files are not read yet; the generator's count.
    constexpr double kLabelledCustomersOfRealData = 8400;
    const double customers = data.at("source") == "synthetic" ? data.at("customers").get<double>()
                                                              : kLabelledCustomersOfRealData;
    const double held_out =
        data.at("test_fraction").get<double>() + data.at("validation_fraction").get<double>();
    const double per_customer = ForwardFlopsPerSequence(config, true);
    // Per epoch: forward and backward (three forwards' work) over the training customers, one
    // forward over the validation customers; then one over the test customers.
    const double epochs = config.at("train").at("epochs").get<double>();
    const double flops =
        per_customer * customers *
        (epochs * (3.0 * (1.0 - held_out) + data.at("validation_fraction").get<double>()) +
         data.at("test_fraction").get<double>());
    return flops / kAssumedFlopsPerSecond;
  };
  task.run = RunTrainTask;
  return task;
}

}  // namespace attnsweep
