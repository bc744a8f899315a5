// The one place that knows which tasks and attention variants exist. Each entry declares its name,
// its config keys, what else it reads, how its jobs run by default, whether a job needs its node to
// itself, what it costs, and how it runs. The schema, grid expansion, job plans, the cost model,
// the job runner and `keys` ask the registry; no other file names a task or a variant.
//
// An entry is two halves: what it is (everything but the run and build functions), free of
// LibTorch, and how it runs (TaskDefinition::run, VariantDefinition::make and
// make_transaction_model), which needs LibTorch. The commands that only read a store link the first
// half alone (builtins.cc) and start in milliseconds; the programs that run jobs attach the second
// (builtin_runners.cc). An extension registers both at once (docs/extending.md). Register before
// the first grid is parsed (the schema is gathered once, on first use, and gathered again after
// each registration). Not thread-safe: register at start-up.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "experiments/job_contract.h"
#include "experiments/param_spec.h"

namespace attnsweep {

class AttentionImpl;
class TransactionModelImpl;

// Sections of keys several tasks read; declared once in common_keys.cc.
enum class KeyGroup {
  kModel,         // model.attention, model.d_model, model.heads, data.max_len, variants' own keys
  kEncoder,       // the encoder around attention: layers, feed-forward width, dropout, positions
  kTransactions,  // the transaction data: source, path, generator settings, splits
  kTraining,      // training: epochs, batch size, optimizer, early stopping, checkpoints, crop
};
constexpr KeyGroup kKeyGroups[] = {KeyGroup::kModel, KeyGroup::kEncoder, KeyGroup::kTransactions,
                                   KeyGroup::kTraining};

struct KeyGroupUse {
  KeyGroup group;
  std::vector<ParamSpec::Condition> when;  // read only when these hold (bench.scope: model, ...)
};

// Settings that are valid alone but not together; reported where the user wrote one of `keys`.
struct ConfigProblem {
  std::vector<std::string> keys;
  std::string message;
};

// A figure the report draws of a task's jobs against sequence length (data.max_len): one line per
// series, one point per cell (mean over seeds), failed cells marked. (The report draws a variant's
// approximation error against its size key in the same shape.)
struct TaskLengthPlot {
  std::string metric;
  std::string title;
  std::string x_title;  // what the length counts ("tokens", "events per customer")
  std::string y_title;  // what a point is
  std::string caption;  // what a point and a bar are
  bool log_y = true;
  bool slope = true;  // the fitted log-log growth in the legend
  // With one seed, a bar from the job's <metric>_lo/_hi (its median's interval), else
  // <metric>_min/_max; off: no bar for one seed.
  bool one_seed_bar = true;
  bool dodge = false;  // series drawn side by side at each length, so that their bars show
};

// A per-epoch series (a curve the task stores) the report draws, mean over seeds.
struct TaskCurvePlot {
  std::string name;  // the curve's name in the store
  std::string title;
  std::string y_title;
};

// How `results --best` chooses among a task's configurations and reports the choice: selected on
// the validation figure (mean over seeds), reported on the test figure, never the other way round.
struct TaskSelection {
  std::string validation_metric;  // empty: the task's jobs are not tuned
  bool higher_is_better = true;
  std::string test_metric;
  // What a job spent (its `spent_metric`, epochs run) against what it could have (its
  // `budget_key`, the epochs it was given): the search's cost against a full grid.
  std::string spent_metric;
  std::string budget_key;
  // The validation figure each epoch reports (its curve's name, val_auc): what a `scheduler:`
  // judges jobs on at its rungs (experiments/scheduler_section.h).
  std::string epoch_metric;
};

using TaskRunFunction =
    std::function<void(const nlohmann::json& config, const JobContext& context, JobOutput* output)>;
using LayerBuilder =
    std::function<std::shared_ptr<AttentionImpl>(const nlohmann::json& model, int64_t max_len)>;
using WholeModelBuilder = std::function<std::shared_ptr<TransactionModelImpl>(
    const nlohmann::json& model, int64_t mcc_vocabulary, int64_t type_vocabulary)>;

struct TaskDefinition {
  std::string name;
  std::string help;
  std::vector<ParamSpec> keys;     // the task's own section ("train.epochs", ...)
  std::vector<KeyGroupUse> reads;  // shared sections it reads
  // What `attnsweep results` shows without --metrics: the figures a reader looks at first.
  std::vector<std::string> headline_metrics;
  // What `attnsweep report` draws of its jobs.
  std::vector<TaskLengthPlot> length_plots;
  std::vector<TaskCurvePlot> curve_plots;
  // True for a task that builds its model with MakeTransactionModel (train): a variant that is a
  // whole model of its own (VariantDefinition::make_transaction_model, aggregates) works only
  // there.
  bool builds_transaction_model = false;
  // True for a task whose jobs measure a variant's error: the report draws each variant's
  // size_metric against its size_key (VariantDefinition) for them.
  bool plots_variant_sizes = false;
  // The figure its jobs' stored per-example scores (JobOutput::predictions) give — train's
  // test_auc: `results --compare` tests it paired over the same examples (DeLong), and the report
  // draws the differences against a baseline. Empty: none.
  std::string scored_metric;
  TaskSelection selection;
  // How a job runs under `--isolation auto`: process, host or inproc.
  std::string default_isolation = "process";
  // True for a job that must run alone on its node (a benchmark that times the machine); it then
  // gets all the node's cores.
  std::function<bool(const nlohmann::json& config)> needs_node = [](const nlohmann::json&) {
    return false;
  };
  // Cross-key checks of a resolved config, at validation (before anything is stored).
  std::function<std::vector<ConfigProblem>(const nlohmann::json& config)> check;
  // Seconds the job takes on one core, from its config alone: the analytic estimate the cost model
  // starts from and falls back to.
  std::function<double(const nlohmann::json& config)> estimate_seconds;
  // Runs the job: fills `output` or throws (job_runner.cc turns exceptions into outcomes). Empty
  // in a program that only reads results (SetTaskRun attaches it).
  TaskRunFunction run;
};

struct VariantDefinition {
  std::string name;
  std::string help;
  std::vector<ParamSpec> keys;  // its own section ("model.performer.features", ...)
  // False for a mixer that is no estimate of softmax attention (a GRU): the approximation task
  // refuses it.
  bool approximates_attention = true;
  // True when `make` builds a causal layer for a model section with "causal": true (IsCausal,
  // attention_factory.h): its output at position t reads positions 0..t only. The next_event
  // task needs it and refuses a variant without it, giving `not_causal` as the reason.
  bool causal = false;
  std::string not_causal;
  // The exact attention the others approximate (softmax): the report compares the other variants'
  // quality with it by default.
  bool reference = false;
  // The key that trades the variant's cost for its accuracy (Performer's features M, Linformer's
  // k, the ∞-former's basis N), what a plot's axis calls it, and the approximation task's figure
  // to plot against it: the report draws that figure against that key wherever approximation jobs
  // vary it. Empty: the variant has no such size.
  std::string size_key;
  std::string size_title;
  std::string size_metric = "rel_error";
  // True for a baseline that mixes no embedded events but reads the windows its own way (aggregate
  // features): it is built as the train task's whole model (make_transaction_model), never as a
  // layer (make). Such a variant has no layer to benchmark or compare, and its `check` refuses
  // other tasks.
  bool whole_model = false;
  // Floating-point operations of the mixing itself (not the q/k/v/output projections) for one
  // sequence of `length` events, forward: the cost model's notion of how the variant scales.
  std::function<double(const nlohmann::json& model, double length)> mixing_flops;
  // Cross-key checks (Linformer's projection length against data.max_len, ...); may be empty.
  std::function<std::vector<ConfigProblem>(const nlohmann::json& config)> check;
  // Builds the layer from the config's "model" section for inputs up to `max_len` long. Throws
  // InvalidJobConfig (job_contract.h) for a config the variant refuses. Empty for a whole_model
  // variant, and in a program that only reads results (SetVariantBuilder attaches it).
  LayerBuilder make;
  // A whole_model variant's instead of `make`: builds the train task's whole model from the model
  // section and the data's vocabularies (SetWholeModelBuilder).
  WholeModelBuilder make_transaction_model;
};

const std::vector<TaskDefinition>& Tasks();
const std::vector<VariantDefinition>& Variants();
// nullptr when no entry has that name.
const TaskDefinition* FindTask(const std::string& name);
const VariantDefinition* FindVariant(const std::string& name);
std::vector<std::string> TaskNames();
std::vector<std::string> VariantNames();

// Adds an entry (an extension, or a test's). Throws std::invalid_argument for a name already taken,
// a key already declared, no estimate of its cost, or a builder of the other kind (make for a
// whole_model variant, make_transaction_model for a layer).
void RegisterTask(TaskDefinition task);
void RegisterVariant(VariantDefinition variant);

// Attach how a registered entry runs (builtin_runners.cc). Throw std::invalid_argument for a name
// not registered, or a builder of the other kind.
void SetTaskRun(const std::string& task, TaskRunFunction run);
void SetVariantBuilder(const std::string& variant, LayerBuilder make);
void SetWholeModelBuilder(const std::string& variant, WholeModelBuilder make);

// The keys of a shared section (common_keys.cc).
const std::vector<ParamSpec>& KeysOf(KeyGroup group);
// The keys every job has: task, seed.
const std::vector<ParamSpec>& CoreKeys();

// Starts at 1 and grows with every registration: caches built from the registry (the schema)
// compare it to know when to rebuild.
uint64_t RegistryGeneration();

}  // namespace attnsweep
