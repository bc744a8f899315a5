#include "experiments/tasks/train_checkpoint.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

namespace attnsweep {
namespace {

at::Tensor BytesOf(const std::string& text) {
  return at::from_blob(const_cast<char*>(text.data()), {static_cast<int64_t>(text.size())},
                       at::kByte)
      .clone();
}

std::string TextOf(const at::Tensor& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                     static_cast<size_t>(bytes.numel()));
}

template <typename Engine>
std::string EngineState(const Engine& engine) {
  std::ostringstream out;
  out << engine;
  return out.str();
}

template <typename Engine>
void RestoreEngine(const std::string& state, Engine* engine) {
  std::istringstream in(state);
  in >> *engine;
}

at::Generator& CpuGenerator() {
  static at::Generator generator = at::detail::getDefaultCPUGenerator();
  return generator;
}

}  // namespace

Snapshot TakeSnapshot(torch::nn::Module& module) {
  Snapshot snapshot;
  at::NoGradGuard no_grad;
  for (const auto& p : module.named_parameters()) snapshot.emplace_back(p.key(), p.value().clone());
  for (const auto& b : module.named_buffers()) snapshot.emplace_back(b.key(), b.value().clone());
  return snapshot;
}

void RestoreSnapshot(const Snapshot& snapshot, torch::nn::Module& module) {
  at::NoGradGuard no_grad;
  std::map<std::string, at::Tensor> by_name(snapshot.begin(), snapshot.end());
  for (auto& p : module.named_parameters()) p.value().copy_(by_name.at(p.key()));
  for (auto& b : module.named_buffers()) b.value().copy_(by_name.at(b.key()));
}

void SaveCheckpoint(const std::string& path, torch::nn::Module& model,
                    torch::optim::AdamW& optimizer, const Progress& progress,
                    const std::mt19937_64& shuffle, const std::mt19937_64& crop) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive weights, optimizer_state, best;
  model.save(weights);
  optimizer.save(optimizer_state);
  for (const auto& [name, tensor] : progress.best) best.write(name, tensor);
  archive.write("model", weights);
  archive.write("optimizer", optimizer_state);
  archive.write("best", best);
  archive.write("counters", at::tensor({progress.epochs_done, progress.step, progress.best_epoch,
                                        progress.epochs_without_gain},
                                       at::kLong));
  archive.write("figures",
                at::tensor({progress.best_score, progress.train_seconds, progress.train_tokens},
                           at::kDouble));
  archive.write("train_loss", at::tensor(progress.train_loss, at::kDouble));
  archive.write("val_auc", at::tensor(progress.val_score, at::kDouble));
  torch::serialize::OutputArchive curves;
  for (const auto& [name, values] : progress.val_curves) {
    curves.write(name, at::tensor(values, at::kDouble));
  }
  archive.write("val_curves", curves);
  {
    std::lock_guard<std::mutex> lock(CpuGenerator().mutex());
    archive.write("torch_rng", CpuGenerator().get_state());
  }
  archive.write("shuffle_rng", BytesOf(EngineState(shuffle)));
  archive.write("crop_rng", BytesOf(EngineState(crop)));
  // Written beside and renamed: a crash while saving leaves the previous checkpoint whole.
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

void LoadCheckpoint(const std::string& path, torch::nn::Module& model,
                    torch::optim::AdamW& optimizer, Progress* progress, std::mt19937_64* shuffle,
                    std::mt19937_64* crop, const c10::Device& device) {
  torch::serialize::InputArchive archive;
  // Weights and optimizer state go straight to the job's device, whichever GPU saved them.
  archive.load_from(path, device);
  torch::serialize::InputArchive weights, optimizer_state, best;
  archive.read("model", weights);
  archive.read("optimizer", optimizer_state);
  archive.read("best", best);
  model.load(weights);
  optimizer.load(optimizer_state);
  progress->best.clear();
  for (const auto& key : best.keys()) {
    at::Tensor t;
    best.read(key, t);
    progress->best.emplace_back(key, t);
  }
  at::Tensor counters, figures, loss, auc, torch_rng, shuffle_state, crop_state;
  archive.read("counters", counters);
  archive.read("figures", figures);
  archive.read("train_loss", loss);
  archive.read("val_auc", auc);
  archive.read("torch_rng", torch_rng);
  archive.read("shuffle_rng", shuffle_state);
  archive.read("crop_rng", crop_state);
  // Read on the host.
  for (at::Tensor* t :
       {&counters, &figures, &loss, &auc, &torch_rng, &shuffle_state, &crop_state}) {
    *t = t->cpu();
  }
  progress->epochs_done = counters[0].item<int64_t>();
  progress->step = counters[1].item<int64_t>();
  progress->best_epoch = counters[2].item<int64_t>();
  progress->epochs_without_gain = counters[3].item<int64_t>();
  progress->best_score = figures[0].item<double>();
  progress->train_seconds = figures[1].item<double>();
  progress->train_tokens = figures[2].item<double>();
  progress->train_loss.assign(loss.data_ptr<double>(), loss.data_ptr<double>() + loss.numel());
  progress->val_score.assign(auc.data_ptr<double>(), auc.data_ptr<double>() + auc.numel());
  progress->val_curves.clear();
  torch::serialize::InputArchive curves;
  if (archive.try_read("val_curves", curves)) {
    for (const auto& name : curves.keys()) {
      at::Tensor values;
      curves.read(name, values);
      values = values.cpu().contiguous();
      progress->val_curves[name].assign(values.data_ptr<double>(),
                                        values.data_ptr<double>() + values.numel());
    }
  }
  {
    std::lock_guard<std::mutex> lock(CpuGenerator().mutex());
    CpuGenerator().set_state(torch_rng);
  }
  RestoreEngine(TextOf(shuffle_state), shuffle);
  RestoreEngine(TextOf(crop_state), crop);
}

}  // namespace attnsweep
