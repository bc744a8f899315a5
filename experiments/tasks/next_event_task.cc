// `next_event`: the marked point process of seed 001's experiment 3.2 on card transactions. At
// every position t of a customer's window, a causal model (next_event_model.h) predicts event
// t + 1's category (MCC) and type and the log time gap to it, ln(1 + days). Trained on the sum of
// the two cross-entropies and the gap's absolute error, with the train task's loop
// (training_loop.h): the same checkpoints, resume, early stopping (on the validation log loss of
// the next category) and outcomes. Splits are by customer as for train; a window's padding is
// neither attended to nor predicted, and its last event has no target.
//
// Beside the model's figures on the test customers, two references on the very same positions:
// the categories' frequencies in the training customers' events (`marginal_*`: a model that reads
// no history), and on the synthetic data's chain (data.sequence markov_v1) the generator's own
// distribution of the next event (`oracle_*`: the ceiling no model can pass but by chance).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/data/batches.h"
#include "experiments/data/prepared_data.h"
#include "experiments/data/synthetic.h"
#include "experiments/device/job_device.h"
#include "experiments/models/next_event_model.h"
#include "experiments/registry.h"
#include "experiments/tasks/tasks.h"
#include "experiments/tasks/training_loop.h"

namespace attnsweep {
namespace {

constexpr int64_t kTopK = 5;

// The positions of a batch that have a next event, and what that event is. A window's padding
// trails its events, so position t has a target exactly when position t + 1 is real.
struct Targets {
  at::Tensor has_next;                 // (B, L - 1) bool
  at::Tensor category, type, log_gap;  // (N) over the positions that have one
};

Targets TargetsOf(const TransactionBatch& batch) {
  const int64_t length = batch.mcc.size(1);
  Targets t;
  t.has_next = batch.padding_mask.narrow(1, 1, length - 1).logical_not();
  t.category = batch.mcc.narrow(1, 1, length - 1).masked_select(t.has_next);
  t.type = batch.type.narrow(1, 1, length - 1).masked_select(t.has_next);
  t.log_gap = batch.numeric.select(2, 1).narrow(1, 1, length - 1).masked_select(t.has_next);
  return t;
}

// The predictions (B, L, ...) at the positions that have a next event: (N, ...).
at::Tensor AtTargets(const at::Tensor& prediction, const at::Tensor& has_next) {
  const int64_t length = prediction.size(1);
  const auto rows = prediction.narrow(1, 0, length - 1);
  if (rows.dim() == 2) return rows.masked_select(has_next);
  return rows.masked_select(has_next.unsqueeze(-1)).view({-1, rows.size(2)});
}

// Sums over positions, turned into means by Figures().
struct Tally {
  double positions = 0, correct = 0, top = 0, logloss = 0, type_correct = 0, gap_error = 0;

  void Add(const NextEventPredictions& p, const Targets& t) {
    if (t.category.numel() == 0) return;
    const auto logits = AtTargets(p.category, t.has_next).to(at::kFloat);
    const auto log_p = at::log_softmax(logits, -1);
    positions += static_cast<double>(t.category.numel());
    logloss -= log_p.gather(1, t.category.unsqueeze(1)).sum().item<double>();
    const auto best = std::get<1>(logits.topk(std::min<int64_t>(kTopK, logits.size(1)), 1));
    correct += best.select(1, 0).eq(t.category).sum().item<double>();
    top += best.eq(t.category.unsqueeze(1)).any(1).sum().item<double>();
    type_correct += AtTargets(p.type, t.has_next).argmax(1).eq(t.type).sum().item<double>();
    gap_error +=
        (AtTargets(p.log_gap, t.has_next).to(at::kFloat) - t.log_gap).abs().sum().item<double>();
  }
};

struct Figures {
  double positions = 0, accuracy = 0, top = 0, logloss = 0, type_accuracy = 0, gap_mae = 0;
};

Figures FiguresOf(const Tally& t) {
  const double n = std::max(1.0, t.positions);
  return {t.positions,   t.correct / n,      t.top / n,
          t.logloss / n, t.type_correct / n, t.gap_error / n};
}

Figures Evaluate(NextEventModelImpl& model, const TransactionDataset& data,
                 const std::vector<int64_t>& customers, const TrainSettings& s,
                 const JobContext& context, const c10::Device& device) {
  model.eval();
  at::NoGradGuard no_grad;
  const auto mixed_precision = MixedPrecisionOn(device);
  Tally tally;
  ForEachEvaluationBatch(data, customers, s, context, device,
                         [&](const TransactionBatch& batch, const std::vector<int64_t>&) {
                           if (batch.mcc.size(1) < 2) return;
                           tally.Add(model.forward(batch), TargetsOf(batch));
                         });
  return FiguresOf(tally);
}

// The reference predictors, walked over the same windows (the last max_len events of each test
// customer) without tensors: each position t with a next event, from the dataset's arrays.
struct Reference {
  Figures marginal, oracle;
  bool has_oracle = false;
};

Reference References(const TransactionDataset& data, const std::vector<int64_t>& train,
                     const std::vector<int64_t>& test, int64_t max_len,
                     const std::optional<SyntheticSequenceOracle>& oracle) {
  // Category frequencies over the training customers' events (add-one smoothed).
  std::vector<double> frequency(static_cast<size_t>(data.mcc_vocabulary()), 1.0);
  for (int64_t c : train) {
    for (int64_t e = data.offsets[c]; e < data.offsets[c + 1]; ++e) frequency[data.mcc[e]] += 1;
  }
  double total = 0;
  for (double f : frequency) total += f;
  std::vector<size_t> ranked(frequency.size());
  for (size_t i = 0; i < ranked.size(); ++i) ranked[i] = i;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](size_t a, size_t b) { return frequency[a] > frequency[b]; });
  ranked.resize(std::min<size_t>(ranked.size(), kTopK));
  // Vocabulary index -> code (0 for padding and unseen categories).
  auto code_of = [&](int32_t index) { return index >= 2 ? data.mcc_codes[index - 2] : 0; };

  Reference r;
  r.has_oracle = oracle.has_value();
  Tally marginal, chain;
  for (int64_t c : test) {
    const int64_t end = data.offsets[c + 1];
    const int64_t begin = std::max(data.offsets[c], end - max_len);
    for (int64_t e = begin; e + 1 < end; ++e) {
      const int32_t next = data.mcc[e + 1];
      const double log_gap = std::log1p(static_cast<double>(data.gap_days[e + 1]));
      marginal.positions += 1;
      marginal.logloss -= std::log(frequency[next] / total);
      marginal.correct += next == static_cast<int32_t>(ranked[0]);
      marginal.top +=
          std::find(ranked.begin(), ranked.end(), static_cast<size_t>(next)) != ranked.end();
      if (!oracle) continue;
      const std::vector<double> p =
          oracle->NextCategory(data.customer_ids[c], code_of(data.mcc[e]));
      const auto& codes = oracle->codes();
      const auto at = std::find(codes.begin(), codes.end(), code_of(next));
      if (p.empty() || at == codes.end()) continue;  // a category outside the vocabulary
      const auto truth = static_cast<size_t>(at - codes.begin());
      chain.positions += 1;
      chain.logloss -= std::log(std::max(p[truth], 1e-300));
      // Rank of the true category: how many are more probable.
      const auto above = std::count_if(p.begin(), p.end(), [&](double q) { return q > p[truth]; });
      chain.correct += above == 0;
      chain.top += above < kTopK;
      chain.gap_error +=
          std::abs(std::log1p(oracle->MedianGapDays(code_of(data.mcc[e]))) - log_gap);
    }
  }
  r.marginal = FiguresOf(marginal);
  r.oracle = FiguresOf(chain);
  return r;
}

std::optional<SyntheticSequenceOracle> OracleOf(const nlohmann::json& data) {
  if (data.at("source") != "synthetic" || data.value("sequence", "none") != "markov_v1") {
    return std::nullopt;
  }
  SyntheticOptions options;
  options.customers = data.at("customers").get<int64_t>();
  options.seed = data.at("seed").get<uint64_t>();
  options.signal = data.at("signal").get<double>();
  options.reach = data.at("reach").get<double>();
  options.sequence = "markov_v1";
  return SyntheticSequenceOracle(options);
}

}  // namespace

void RunNextEventTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const TrainSettings s = TrainSettingsOf(config);
  if (s.max_len < 2) {
    throw InvalidJobConfig(
        "next_event needs data.max_len of at least 2: a window of one event "
        "has no next event to predict");
  }
  const TrainingData split = PrepareTrainingData(config);
  const TransactionDataset& data = split.dataset();
  const auto &train = split.train, &validation = split.validation, &test = split.test;

  const c10::Device device = JobDevice(context.device);
  torch::manual_seed(s.seed);
  const auto model = std::make_shared<NextEventModelImpl>(
      config.at("model"), s.max_len, data.mcc_vocabulary(), data.type_vocabulary());
  model->to(device);
  const TrainingOutcome trained = Train(
      s, *model, data, train, context, device,
      [&](const TransactionBatch& batch) {
        const NextEventPredictions p = model->forward(batch);
        if (batch.mcc.size(1) < 2) return p.log_gap.sum() * 0.0;  // no window with a next event
        const Targets t = TargetsOf(batch);
        if (t.category.numel() == 0) return p.log_gap.sum() * 0.0;
        return at::cross_entropy_loss(AtTargets(p.category, t.has_next).to(at::kFloat),
                                      t.category) +
               at::cross_entropy_loss(AtTargets(p.type, t.has_next).to(at::kFloat), t.type) +
               at::l1_loss(AtTargets(p.log_gap, t.has_next).to(at::kFloat), t.log_gap);
      },
      [&](Progress* progress) {
        if (validation.empty()) return -progress->train_loss.back();
        const Figures v = Evaluate(*model, data, validation, s, context, device);
        progress->val_curves["val_next_mcc_accuracy"].push_back(v.accuracy);
        progress->val_curves["val_next_mcc_logloss"].push_back(v.logloss);
        progress->val_curves["val_next_gap_mae"].push_back(v.gap_mae);
        return -v.logloss;
      },
      validation.empty() ? TrainingLossFigure() : ValidationFigure{"val_next_mcc_logloss", -1});
  const Progress& progress = trained.progress;
  const Figures tested = Evaluate(*model, data, test, s, context, device);
  const Reference reference = References(data, train, test, s.max_len, OracleOf(config.at("data")));
  output->metrics = {
      {"next_mcc_accuracy", tested.accuracy},
      {"next_mcc_top5", tested.top},
      {"next_mcc_logloss", tested.logloss},
      {"next_gap_mae", tested.gap_mae},
      {"next_type_accuracy", tested.type_accuracy},
      {"marginal_next_mcc_accuracy", reference.marginal.accuracy},
      {"marginal_next_mcc_top5", reference.marginal.top},
      {"marginal_next_mcc_logloss", reference.marginal.logloss},
      {"test_positions", tested.positions},
  };
  const auto figures = TrainingFigures(trained, split);
  output->metrics.insert(output->metrics.end(), figures.begin(), figures.end());
  if (reference.has_oracle) {
    output->metrics.insert(output->metrics.end(),
                           {{"oracle_next_mcc_accuracy", reference.oracle.accuracy},
                            {"oracle_next_mcc_top5", reference.oracle.top},
                            {"oracle_next_mcc_logloss", reference.oracle.logloss},
                            {"oracle_next_gap_mae", reference.oracle.gap_mae},
                            {"oracle_positions", reference.oracle.positions}});
  }
  if (!validation.empty()) {
    output->metrics.emplace_back("best_val_next_mcc_logloss", -progress.best_score);
  }
  for (size_t e = 0; e < progress.train_loss.size(); ++e) {
    const auto epoch = static_cast<int64_t>(e + 1);
    output->curves.push_back({epoch, "train_loss", progress.train_loss[e]});
    for (const auto& [name, values] : progress.val_curves) {
      if (e < values.size()) output->curves.push_back({epoch, name, values[e]});
    }
  }
  RemoveFinishedCheckpoint(context, s);
}

}  // namespace attnsweep
