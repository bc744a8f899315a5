// What each built-in task is: its name, keys, the figures it reports and how the report draws
// them, how its jobs are chosen among and run by default, what a job costs. Free of LibTorch: the
// commands that only read a store link this alone. How each runs is attached by
// builtin_runners.cc.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/builtins.h"
#include "experiments/repeat_policy.h"
#include "experiments/work_estimate.h"

namespace attnsweep {
namespace {

TaskDefinition SleepTask() {
  TaskDefinition task;
  task.name = "sleep";
  task.headline_metrics = {"seconds"};
  task.help = "sleeps sleep.seconds: exercises dispatch, the store and resume without LibTorch";
  task.keys = {
      ParamSpec::Float("sleep.seconds", 0.1).Range(0, 86400).Help("how long a sleep job sleeps"),
  };
  // No LibTorch work: a thread of the worker is enough.
  task.default_isolation = "inproc";
  task.estimate_seconds = [](const nlohmann::json& config) {
    return config.at("sleep").at("seconds").get<double>();
  };
  return task;
}

TaskDefinition BenchmarkTask() {
  TaskDefinition task;
  task.name = "benchmark";
  task.headline_metrics = {"fwd_ms", "fwdbwd_ms", "peak_mb", "fwdbwd_peak_mb"};
  task.help = "time and peak memory of forward and forward+backward passes";
  const std::string time_caption =
      "A point is the mean over seeds of each job's median pass time. A bar spans the seeds' "
      "fastest to slowest median; where a cell has one seed, the 95 % interval of its median "
      "(from its repeats). Hollow points are noisy cells: a job's repeats did not narrow its "
      "median's interval to bench.rel_ci before their cap, or the seeds' intervals do not overlap "
      "(`attnsweep results` marks them *; load_avg and other_cores say what the machine was "
      "doing). Log-log axes: a slope of 1 is linear growth, 2 quadratic; the slope is fitted to "
      "the "
      "measured points (`attnsweep results --slope data.max_len` prints the same). Crosses mark "
      "cells whose jobs failed (OOM: out of memory), drawn above the measured points.";
  const std::string memory_caption =
      "Memory the measured computation itself allocated at its peak (not the process's "
      "footprint), mean over seeds; a bar spans the seeds' lowest to highest. Log-log axes, fitted "
      "slope in the legend; crosses mark failed cells (OOM).";
  const std::string tokens = "sequence length (tokens)";
  task.length_plots = {
      {"fwd_ms", "Forward time against sequence length", tokens,
       "ms per forward pass (median of repeats, mean over seeds)", time_caption},
      {"fwdbwd_ms", "Forward + backward time against sequence length", tokens,
       "ms per forward+backward pass (median of repeats, mean over seeds)", time_caption},
      {"peak_mb", "Peak memory of the forward pass", tokens,
       "MB allocated at the peak (mean over seeds)", memory_caption, true, true, false},
      {"fwdbwd_peak_mb", "Peak memory of forward + backward", tokens,
       "MB allocated at the peak (mean over seeds)", memory_caption, true, true, false},
  };
  task.keys = {
      ParamSpec::String("bench.scope", "layer")
          .Choices({"layer", "model"})
          .Help("what a benchmark times: one attention layer, or the whole classifier"),
      ParamSpec::Int("bench.batch_size", 4).Range(1, 1 << 20).Help("sequences per benchmark pass"),
      ParamSpec::Int("bench.warmup", 2)
          .Range(0, 100000)
          .Help("untimed passes before the timed ones"),
      ParamSpec::Int("bench.repeats", 5)
          .Range(1, 100000)
          .Help("the fewest timed passes; the median is reported"),
      ParamSpec::Int("bench.max_repeats", RepeatPolicy{}.max_repeats)
          .Range(1, 100000)
          .Help("the most timed passes, when the median's interval stays wider than bench.rel_ci "
                "(the pass is then stored noisy); at least bench.repeats"),
      ParamSpec::Float("bench.max_seconds", RepeatPolicy{}.max_seconds)
          .Range(0, 86400)
          .Help("timed seconds after which no pass is added to narrow the interval (bench.repeats "
                "are timed whatever it says; the pass is then stored noisy)"),
      ParamSpec::Float("bench.rel_ci", RepeatPolicy{}.rel_ci)
          .Range(0.001, 1)
          .Help("time until the median's 95 % interval is within this share of it on both sides "
                "(0.05: ±5 %)"),
      ParamSpec::Bool("bench.exclusive", true)
          .Help("run alone: on the CPU no other job starts on its node while it runs, and it "
                "waits for the node to be free (it then has all the node's cores); on a GPU the "
                "same holds for its GPU, and jobs on the node's other GPUs go on"),
      ParamSpec::Bool("bench.backward", true).Help("also time forward+backward"),
  };
  task.reads = {{KeyGroup::kModel, {}}, {KeyGroup::kEncoder, {{"bench.scope", "model"}}}};
  task.check = [](const nlohmann::json& config) {
    std::vector<ConfigProblem> problems;
    const auto& bench = config.at("bench");
    if (bench.at("max_repeats").get<int>() < bench.at("repeats").get<int>()) {
      problems.push_back({{"bench.max_repeats", "bench.repeats"},
                          "bench.max_repeats (" + bench.at("max_repeats").dump() +
                              ") is below bench.repeats (" + bench.at("repeats").dump() +
                              "), the fewest timed passes: raise it or lower bench.repeats"});
    }
    return problems;
  };
  task.needs_node = [](const nlohmann::json& config) {
    return config.at("bench").at("exclusive").get<bool>();
  };
  task.estimate_seconds = [](const nlohmann::json& config) {
    const auto& bench = config.at("bench");
    const bool whole_model = bench.at("scope") == "model";
    // At least bench.repeats timed passes, and at a quiet machine's ±5 % one or two more.
    const double passes =
        bench.at("warmup").get<double>() + std::max(bench.at("repeats").get<double>(), 6.0);
    // A backward pass costs about twice the forward: forward+backward passes count three times.
    const double with_backward = bench.at("backward").get<bool>() ? 4.0 : 1.0;
    const double flops = bench.at("batch_size").get<double>() *
                         ForwardFlopsPerSequence(config, whole_model) * passes * with_backward;
    return flops / kAssumedFlopsPerSecond;
  };
  return task;
}

TaskDefinition ApproximationTask() {
  TaskDefinition task;
  task.name = "approximation";
  task.headline_metrics = {"rel_error", "recon_error"};
  task.plots_variant_sizes = true;
  task.help = "error of a variant's attention output against exact softmax attention";
  task.keys = {
      ParamSpec::String("approx.inputs", "random")
          .Choices({"random", "smooth", "transactions"})
          .Help("inputs of an approximation job: iid Gaussian, smooth random signals along the "
                "sequence, or embedded transaction windows (the data.* keys say which)"),
      ParamSpec::Float("approx.scale", 1.0)
          .Range(0, 1e6)
          .Help("standard deviation of the approximation inputs"),
      ParamSpec::Int("approx.batch_size", 4)
          .Range(1, 1 << 20)
          .Help("sequences per approximation draw"),
      ParamSpec::Int("approx.draws", 5)
          .Range(1, 100000)
          .Help("independent draws (weights, random features, inputs) the error is averaged over"),
  };
  task.reads = {{KeyGroup::kModel, {}},
                {KeyGroup::kTransactions, {{"approx.inputs", "transactions"}}}};
  task.check = [](const nlohmann::json& config) {
    std::vector<ConfigProblem> problems;
    const std::string variant = config.at("model").at("attention").get<std::string>();
    const VariantDefinition* definition = FindVariant(variant);
    if (definition != nullptr && !definition->approximates_attention) {
      problems.push_back({{"model.attention", "task"},
                          "the approximation task compares attention with exact softmax "
                          "attention, and " +
                              variant + " has none: leave " + variant +
                              " out of approximation experiments"});
    }
    return problems;
  };
  task.estimate_seconds = [](const nlohmann::json& config) {
    const auto& approx = config.at("approx");
    // Each draw runs the variant and the exact reference (two L x L products) once, forward.
    const double length = config.at("data").at("max_len").get<double>();
    const double d_model = config.at("model").at("d_model").get<double>();
    const double exact = 4.0 * length * length * d_model + 8.0 * length * d_model * d_model;
    const double per_draw = ForwardFlopsPerSequence(config, false) + exact;
    return approx.at("draws").get<double>() * approx.at("batch_size").get<double>() * per_draw /
           kAssumedFlopsPerSecond;
  };
  return task;
}

TaskDefinition TrainTask() {
  TaskDefinition task;
  task.name = "train";
  task.headline_metrics = {"test_auc", "oracle_test_auc", "test_accuracy", "test_logloss",
                           "epoch_s"};
  task.help = "trains the transaction classifier for gender; ROC AUC on held-out customers";
  task.length_plots = {{"test_auc", "Test ROC AUC against sequence length",
                        "sequence length (events per customer)", "test ROC AUC",
                        "Mean over seeds; bars are ±1 standard deviation over seeds (n in the "
                        "tooltip); series are drawn slightly apart at each length so that their "
                        "bars show. 0.5 is chance.",
                        /*log_y=*/false, /*slope=*/false, /*one_seed_bar=*/false, /*dodge=*/true}};
  task.scored_metric = "test_auc";
  task.selection = {"best_val_auc", true, "test_auc", "epochs", "train.epochs", "val_auc"};
  task.builds_transaction_model = true;
  task.curve_plots = {
      {"train_loss", "Training loss per epoch", "training loss (mean over the epoch)"},
      {"val_auc", "Validation ROC AUC per epoch", "validation ROC AUC"}};
  task.reads = {{KeyGroup::kModel, {}},
                {KeyGroup::kEncoder, {}},
                {KeyGroup::kTransactions, {}},
                {KeyGroup::kTraining, {}}};
  task.estimate_seconds = TrainingSeconds;
  return task;
}

TaskDefinition NextEventTask() {
  TaskDefinition task;
  task.name = "next_event";
  task.headline_metrics = {"next_mcc_accuracy", "next_mcc_logloss", "next_gap_mae", "epoch_s"};
  task.selection = {
      "best_val_next_mcc_logloss", false, "next_mcc_logloss", "epochs", "train.epochs",
      "val_next_mcc_logloss"};
  task.help =
      "predicts each event's successor (category, type, log time gap) with causal attention; "
      "accuracy and log loss on held-out customers";
  task.curve_plots = {
      {"val_next_mcc_logloss", "Next event: validation log loss of the category",
       "log loss of the next category (nats)"},
      {"val_next_mcc_accuracy", "Next event: validation accuracy of the category",
       "accuracy of the next category"},
      {"train_loss", "Next event: training loss per epoch", "training loss (mean over the epoch)"}};
  task.reads = {{KeyGroup::kModel, {}},
                {KeyGroup::kEncoder, {}},
                {KeyGroup::kTransactions, {}},
                {KeyGroup::kTraining, {}}};
  task.check = [](const nlohmann::json& config) {
    std::vector<ConfigProblem> problems;
    const VariantDefinition* variant =
        FindVariant(config.at("model").at("attention").get<std::string>());
    // A baseline with no layer (aggregates) refuses every task but train itself.
    if (variant != nullptr && !variant->whole_model && !variant->causal) {
      std::string causal;
      for (const VariantDefinition& v : Variants()) {
        if (v.causal) causal += (causal.empty() ? "" : ", ") + v.name;
      }
      problems.push_back({{"model.attention"},
                          "next_event needs causal attention, and '" + variant->name +
                              "' has none" +
                              (variant->not_causal.empty() ? "" : ": " + variant->not_causal) +
                              " (causal variants: " + causal + ")"});
    }
    return problems;
  };
  task.estimate_seconds = TrainingSeconds;
  return task;
}

TaskDefinition FaultTask() {
  TaskDefinition task;
  task.name = "fault";
  task.headline_metrics = {"value", "seconds"};
  task.help = "fails for real as fault.kind says: for testing the machinery that must survive it";
  task.keys = {
      ParamSpec::String("fault.kind", "none")
          .Choices({"none", "throw", "segfault", "abort", "sleep", "allocate", "nan"})
          .Help("how the job fails: throw an exception, dereference null, abort(), sleep "
                "fault.seconds, allocate fault.gigabytes, report a NaN; none finishes normally"),
      ParamSpec::Float("fault.seconds", 1.0)
          .Range(0, 86400)
          .Help("how long a fault job runs before failing (sleep: the whole time)"),
      ParamSpec::Float("fault.gigabytes", 1.0)
          .Range(0, 1 << 20)
          .Help("how much a fault job of kind allocate allocates and touches"),
  };
  task.estimate_seconds = [](const nlohmann::json& config) {
    const auto& fault = config.at("fault");
    // Every kind but sleep fails (or finishes) after at most 50 ms of its seconds.
    return fault.at("kind") == "sleep" ? fault.at("seconds").get<double>()
                                       : std::min(fault.at("seconds").get<double>(), 0.05);
  };
  return task;
}

}  // namespace

std::vector<TaskDefinition> BuiltinTasks() {
  return {SleepTask(), BenchmarkTask(), ApproximationTask(),
          TrainTask(), NextEventTask(), FaultTask()};
}

}  // namespace attnsweep
