#include "experiments/config_schema.h"

#include <algorithm>

namespace attnsweep {
namespace {

const std::vector<std::string> kModelTasks = {"benchmark", "train", "approximation"};
const std::vector<std::string> kTrainOnly = {"train"};
// Tasks that read transaction data: train always, approximation when approx.inputs says so.
const std::vector<std::string> kDataTasks = {"train", "approximation"};
// Tasks that build the whole encoder (benchmark only with bench.scope: model).
const std::vector<std::string> kEncoderTasks = {"benchmark", "train"};

std::vector<ParamSpec> BuildSchema() {
  std::vector<ParamSpec> s;
  auto add = [&s](ParamSpec spec) { s.push_back(std::move(spec)); };
  add({"task", ParamType::kString, "", {}, {}, false, KnownTasks(), {}, "", "what the job does"});
  add({"seed",
       ParamType::kInt,
       "1",
       0,
       2147483647,
       false,
       {},
       {},
       "",
       "random seed of the job's initialisation and inputs"});

  add({"sleep.seconds",
       ParamType::kFloat,
       "0.1",
       0,
       86400,
       false,
       {},
       {"sleep"},
       "",
       "how long a sleep job sleeps"});

  // `fault`: jobs that fail for real, to test the machinery that must survive them.
  add({"fault.kind",
       ParamType::kString,
       "none",
       {},
       {},
       false,
       {"none", "throw", "segfault", "abort", "sleep", "allocate", "nan"},
       {"fault"},
       "",
       "how the job fails: throw an exception, dereference null, abort(), sleep fault.seconds, "
       "allocate fault.gigabytes, report a NaN; none finishes normally"});
  add({"fault.seconds",
       ParamType::kFloat,
       "1",
       0,
       86400,
       false,
       {},
       {"fault"},
       "",
       "how long a fault job runs before failing (sleep: the whole time)"});
  add({"fault.gigabytes",
       ParamType::kFloat,
       "1",
       0,
       1 << 20,
       false,
       {},
       {"fault"},
       "",
       "how much a fault job of kind allocate allocates and touches"});

  add({"data.max_len",
       ParamType::kInt,
       "512",
       1,
       1 << 24,
       false,
       {},
       kModelTasks,
       "",
       "sequence length: events per customer window, or tokens per benchmark input"});
  add({"data.source",
       ParamType::kString,
       "synthetic",
       {},
       {},
       false,
       {"synthetic", "csv"},
       kDataTasks,
       "",
       "synthetic data from the built-in generator, or the real CSV files",
       {{"approx.inputs", "transactions"}}});
  add({"data.path",
       ParamType::kString,
       "",
       {},
       {},
       false,
       {},
       kDataTasks,
       "",
       "folder holding transactions.csv and gender_train.csv (data.source: csv)",
       {{"data.source", "csv"}, {"approx.inputs", "transactions"}}});
  add({"data.customers",
       ParamType::kInt,
       "8000",
       10,
       10000000,
       false,
       {},
       kDataTasks,
       "",
       "customers the synthetic generator writes",
       {{"data.source", "synthetic"}, {"approx.inputs", "transactions"}}});
  add({"data.seed",
       ParamType::kInt,
       "1",
       0,
       2147483647,
       false,
       {},
       kDataTasks,
       "",
       "seed of the synthetic data and of the train/validation/test split",
       {{"approx.inputs", "transactions"}}});

  add({"data.signal",
       ParamType::kFloat,
       "1",
       0,
       100,
       false,
       {},
       kDataTasks,
       "",
       "strength of the synthetic data's planted gender signal (0: none)",
       {{"data.source", "synthetic"}, {"approx.inputs", "transactions"}}});
  add({"data.reach",
       ParamType::kFloat,
       "0.5",
       0,
       1,
       false,
       {},
       kDataTasks,
       "",
       "share of the synthetic signal that only long spans of history show",
       {{"data.source", "synthetic"}, {"approx.inputs", "transactions"}}});
  add({"data.test_fraction",
       ParamType::kFloat,
       "0.1",
       0,
       0.9,
       false,
       {},
       kDataTasks,
       "",
       "share of labelled customers held out for testing",
       {{"approx.inputs", "transactions"}}});
  add({"data.validation_fraction",
       ParamType::kFloat,
       "0.1",
       0,
       0.9,
       false,
       {},
       kDataTasks,
       "",
       "share of labelled customers for validation (early stopping)",
       {{"approx.inputs", "transactions"}}});
  add({"data.skip_bad_rows",
       ParamType::kBool,
       "false",
       {},
       {},
       false,
       {},
       kDataTasks,
       "",
       "skip and count malformed rows (and labels without transactions) instead of failing",
       {{"approx.inputs", "transactions"}}});
  add({"data.crop",
       ParamType::kString,
       "last",
       {},
       {},
       false,
       {"last", "first", "random"},
       kTrainOnly,
       "",
       "which data.max_len events of a longer history training sees; evaluation takes the last"});

  add({"model.attention",
       ParamType::kString,
       "softmax",
       {},
       {},
       false,
       KnownAttentionVariants(),
       kModelTasks,
       "",
       "attention variant"});
  add({"model.d_model",
       ParamType::kInt,
       "64",
       1,
       65536,
       false,
       {},
       kModelTasks,
       "",
       "width of the hidden states; a multiple of model.heads"});
  add({"model.heads",
       ParamType::kInt,
       "4",
       1,
       1024,
       false,
       {},
       kModelTasks,
       "",
       "attention heads"});
  add({"model.layers",
       ParamType::kInt,
       "2",
       1,
       256,
       false,
       {},
       kEncoderTasks,
       "",
       "encoder layers",
       {{"bench.scope", "model"}}});
  add({"model.ff_dim",
       ParamType::kInt,
       "128",
       1,
       1 << 20,
       false,
       {},
       kEncoderTasks,
       "",
       "inner width of the feed-forward block",
       {{"bench.scope", "model"}}});
  add({"model.dropout",
       ParamType::kFloat,
       "0.1",
       0,
       1,
       true,
       {},
       kEncoderTasks,
       "",
       "dropout probability",
       {{"bench.scope", "model"}}});

  add({"model.positions",
       ParamType::kString,
       "sinusoidal",
       {},
       {},
       false,
       {"sinusoidal", "learned"},
       kEncoderTasks,
       "",
       "position encoding added to the inputs",
       {{"bench.scope", "model"}}});
  add({"model.chunked.block",
       ParamType::kInt,
       "256",
       1,
       1 << 20,
       false,
       {},
       kModelTasks,
       "softmax_chunked",
       "queries and keys per block of softmax_chunked"});
  add({"model.performer.features",
       ParamType::kInt,
       "0",
       0,
       1 << 20,
       false,
       {},
       kModelTasks,
       "performer",
       "random features M of Performer (0: ceil(d_head ln d_head))"});
  add({"model.performer.kernel",
       ParamType::kString,
       "positive",
       {},
       {},
       false,
       {"positive", "hyperbolic", "trig"},
       kModelTasks,
       "performer",
       "Performer's feature map: positive or hyperbolic (FAVOR+), or trig (sin/cos)"});
  add({"model.performer.sampling",
       ParamType::kString,
       "orthogonal",
       {},
       {},
       false,
       {"orthogonal", "iid"},
       kModelTasks,
       "performer",
       "orthogonal random features (blocks of Q of QR), or iid Gaussian"});
  add({"model.performer.scaling",
       ParamType::kString,
       "chi",
       {},
       {},
       false,
       {"chi", "sqrt_d"},
       kModelTasks,
       "performer",
       "norms of orthogonal features: chi(d)-distributed, or all sqrt(d)"});
  add({"model.performer.redraw",
       ParamType::kInt,
       "0",
       0,
       1 << 30,
       false,
       {},
       kModelTasks,
       "performer",
       "redraw the features every this many training steps (0: never)"});
  add({"model.linformer.k",
       ParamType::kInt,
       "256",
       1,
       1 << 20,
       false,
       {},
       kModelTasks,
       "linformer",
       "projected length of Linformer's keys and values"});
  add({"model.linformer.sharing",
       ParamType::kString,
       "kv",
       {},
       {},
       false,
       {"none", "headwise", "kv", "layerwise"},
       kModelTasks,
       "linformer",
       "Linformer projections: per head (none), shared by heads, by keys and values, by layers"});
  add({"model.linformer.max_len",
       ParamType::kInt,
       "0",
       0,
       1 << 24,
       false,
       {},
       kModelTasks,
       "linformer",
       "length of Linformer's projections (0: data.max_len); longer inputs are refused"});

  add({"model.infinity.segment",
       ParamType::kInt,
       "128",
       1,
       1 << 20,
       false,
       {},
       kModelTasks,
       "infinity",
       "events per segment of the ∞-former: exact attention within one, the memory across"});
  add({"model.infinity.basis",
       ParamType::kInt,
       "64",
       1,
       4096,
       false,
       {},
       kModelTasks,
       "infinity",
       "basis functions N of the ∞-former's long-term memory"});
  add({"model.infinity.widths",
       ParamType::kNumberList,
       "0.01, 0.05",
       1e-6,
       {},
       false,
       {},
       kModelTasks,
       "infinity",
       "widths of the memory's Gaussian basis functions on [0, 1]; N is split over them"});
  add({"model.infinity.ridge",
       ParamType::kFloat,
       "0.5",
       0,
       {},
       false,
       {},
       kModelTasks,
       "infinity",
       "ridge penalty lambda of the memory's fit"});
  add({"model.infinity.samples",
       ParamType::kInt,
       "64",
       1,
       1 << 20,
       false,
       {},
       kModelTasks,
       "infinity",
       "locations M where the old memory is sampled at each update"});
  add({"model.infinity.tau",
       ParamType::kFloat,
       "0.75",
       0.001,
       1,
       true,
       {},
       kModelTasks,
       "infinity",
       "the past is contracted into [0, tau], the new segment takes [tau, 1]"});
  add({"model.infinity.sticky",
       ParamType::kBool,
       "false",
       {},
       {},
       false,
       {},
       kModelTasks,
       "infinity",
       "sticky memories: sample the old memory where attention went, not evenly"});
  add({"model.infinity.detach",
       ParamType::kBool,
       "true",
       {},
       {},
       false,
       {},
       kModelTasks,
       "infinity",
       "no gradient into past segments through the memory (as in the paper)"});

  add({"train.epochs",
       ParamType::kInt,
       "5",
       1,
       100000,
       false,
       {},
       kTrainOnly,
       "",
       "passes over the training split"});
  add({"train.batch_size",
       ParamType::kInt,
       "64",
       1,
       1 << 20,
       false,
       {},
       kTrainOnly,
       "",
       "customers per training step"});
  add({"train.lr",
       ParamType::kFloat,
       "3.0e-4",
       0,
       10,
       false,
       {},
       kTrainOnly,
       "",
       "peak learning rate"});
  add({"train.weight_decay",
       ParamType::kFloat,
       "0.01",
       0,
       10,
       false,
       {},
       kTrainOnly,
       "",
       "AdamW's decoupled weight decay"});
  add({"train.warmup",
       ParamType::kFloat,
       "0.1",
       0,
       1,
       false,
       {},
       kTrainOnly,
       "",
       "share of the steps over which the learning rate rises linearly; a cosine decay follows"});
  add({"train.clip",
       ParamType::kFloat,
       "1",
       0,
       1e6,
       false,
       {},
       kTrainOnly,
       "",
       "gradient norm clipped to this (0: no clipping)"});
  add({"train.patience",
       ParamType::kInt,
       "3",
       0,
       100000,
       false,
       {},
       kTrainOnly,
       "",
       "stop after this many epochs without a better validation ROC AUC (0: never stop early)"});
  add({"train.nan_at_step",
       ParamType::kInt,
       "0",
       0,
       1 << 30,
       false,
       {},
       kTrainOnly,
       "",
       "testing aid: the loss of this step (1-based) is made NaN, to exercise the diverged "
       "outcome (0: never)"});
  add({"train.keep_checkpoint",
       ParamType::kBool,
       "false",
       {},
       {},
       false,
       {},
       kTrainOnly,
       "",
       "keep a finished job's checkpoint (it is removed otherwise)"});

  add({"bench.scope",
       ParamType::kString,
       "layer",
       {},
       {},
       false,
       {"layer", "model"},
       {"benchmark"},
       "",
       "what a benchmark times: one attention layer, or the whole classifier"});
  add({"bench.batch_size",
       ParamType::kInt,
       "4",
       1,
       1 << 20,
       false,
       {},
       {"benchmark"},
       "",
       "sequences per benchmark pass"});
  add({"bench.warmup",
       ParamType::kInt,
       "2",
       0,
       100000,
       false,
       {},
       {"benchmark"},
       "",
       "untimed passes before the timed ones"});
  add({"bench.repeats",
       ParamType::kInt,
       "5",
       1,
       100000,
       false,
       {},
       {"benchmark"},
       "",
       "timed passes; the median is reported"});
  add({"bench.exclusive",
       ParamType::kBool,
       "true",
       {},
       {},
       false,
       {},
       {"benchmark"},
       "",
       "run alone on its node: no other job starts there while it runs, and it waits for the "
       "node to be free"});
  add({"bench.backward",
       ParamType::kBool,
       "true",
       {},
       {},
       false,
       {},
       {"benchmark"},
       "",
       "also time forward+backward"});

  add({"approx.inputs",
       ParamType::kString,
       "random",
       {},
       {},
       false,
       {"random", "smooth", "transactions"},
       {"approximation"},
       "",
       "inputs of an approximation job: iid Gaussian, smooth random signals along the sequence, "
       "or embedded transaction windows (the data.* keys say which)"});
  add({"approx.scale",
       ParamType::kFloat,
       "1",
       0,
       1e6,
       false,
       {},
       {"approximation"},
       "",
       "standard deviation of the approximation inputs"});
  add({"approx.batch_size",
       ParamType::kInt,
       "4",
       1,
       1 << 20,
       false,
       {},
       {"approximation"},
       "",
       "sequences per approximation draw"});
  add({"approx.draws",
       ParamType::kInt,
       "5",
       1,
       100000,
       false,
       {},
       {"approximation"},
       "",
       "independent draws (weights, random features, inputs) the error is averaged over"});
  return s;
}

}  // namespace

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kFloat:
      return "number";
    case ParamType::kString:
      return "string";
    case ParamType::kBool:
      return "boolean";
    case ParamType::kNumberList:
      return "comma-separated list of numbers";
  }
  return "?";
}

const std::vector<std::string>& KnownTasks() {
  static const std::vector<std::string> tasks = {"sleep", "benchmark", "approximation", "train",
                                                 "fault"};
  return tasks;
}

const std::vector<std::string>& KnownAttentionVariants() {
  static const std::vector<std::string> variants = {"softmax",   "softmax_chunked", "performer",
                                                    "linformer", "infinity",        "gru"};
  return variants;
}

const std::vector<ParamSpec>& ConfigSchema() {
  static const std::vector<ParamSpec> schema = BuildSchema();
  return schema;
}

const ParamSpec* FindParam(const std::string& key) {
  for (const auto& spec : ConfigSchema()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

bool IsSectionPrefix(const std::string& prefix) {
  const std::string with_dot = prefix + ".";
  for (const auto& spec : ConfigSchema()) {
    if (spec.key.compare(0, with_dot.size(), with_dot) == 0) return true;
  }
  return false;
}

bool ParamAppliesToTask(const ParamSpec& spec, const std::string& task) {
  return spec.tasks.empty() ||
         std::find(spec.tasks.begin(), spec.tasks.end(), task) != spec.tasks.end();
}

bool ParamConditionHolds(const ParamSpec& spec, const std::string& task,
                         const std::function<std::string(const std::string&)>& value_of) {
  for (const auto& condition : spec.when) {
    const ParamSpec* key = FindParam(condition.key);
    if (key == nullptr || !ParamAppliesToTask(*key, task)) continue;  // the task does not read it
    if (value_of(condition.key) != "\"" + condition.value + "\"") return false;
  }
  return true;
}

bool ParamAppliesTo(const ParamSpec& spec, const std::string& task, const std::string& variant) {
  return ParamAppliesToTask(spec, task) && (spec.variant.empty() || spec.variant == variant);
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string ClosestName(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace attnsweep
