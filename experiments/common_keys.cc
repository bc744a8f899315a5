// The keys every job has, and the sections several tasks share. Which tasks read a shared section
// is declared by each task (TaskDefinition::reads), not here.
#include "experiments/data/synthetic.h"
#include "experiments/registry.h"

namespace attnsweep {

const std::vector<ParamSpec>& CoreKeys() {
  static const std::vector<ParamSpec> keys = {
      ParamSpec::String("task", "").Help("what the job does"),
      ParamSpec::Int("seed", 1)
          .Range(0, 2147483647)
          .Help("random seed of the job's initialisation and inputs"),
  };
  return keys;
}

namespace {

std::vector<ParamSpec> ModelKeys() {
  return {
      ParamSpec::Int("data.max_len", 512)
          .Range(1, 1 << 24)
          .Help("sequence length: events per customer window, or tokens per benchmark input"),
      ParamSpec::String("model.attention", "softmax").Help("attention variant"),
      ParamSpec::Int("model.d_model", 64)
          .Range(1, 65536)
          .Help("width of the hidden states; a multiple of model.heads"),
      ParamSpec::Int("model.heads", 4).Range(1, 1024).Help("attention heads"),
  };
}

std::vector<ParamSpec> EncoderKeys() {
  return {
      ParamSpec::Int("model.layers", 2).Range(1, 256).Help("encoder layers"),
      ParamSpec::Int("model.ff_dim", 128)
          .Range(1, 1 << 20)
          .Help("inner width of the feed-forward block"),
      ParamSpec::Float("model.dropout", 0.1).AtLeast(0).Below(1).Help("dropout probability"),
      ParamSpec::String("model.positions", "sinusoidal")
          .Choices({"sinusoidal", "learned"})
          .Help("position encoding added to the inputs"),
      ParamSpec::String("model.pooling", "mean")
          .Choices({"mean", "max", "mean_max"})
          .Help("how the classifier reduces the encoder's outputs over real positions: mean, max "
                "per feature, or both side by side"),
      ParamSpec::Bool("model.residual_gate", true)
          .Help("a learned scalar on each layer's mixing branch, starting at 0: the encoder starts "
                "as the bag of events and mixes in as far as it helps"),
      ParamSpec::Bool("model.standardize", true)
          .Help("standardise the pooled vector the classifier's head reads by batch statistics "
                "(running averages in evaluation); not the aggregates baseline's features"),
  };
}

std::vector<ParamSpec> TransactionKeys() {
  return {
      ParamSpec::String("data.source", "synthetic")
          .Choices({"synthetic", "csv"})
          .Help("synthetic data from the built-in generator, or the real CSV files"),
      ParamSpec::String("data.path", "")
          .When("data.source", "csv")
          .Help("folder holding transactions.csv and gender_train.csv (data.source: csv)"),
      ParamSpec::Int("data.customers", 8000)
          .Range(10, 10000000)
          .When("data.source", "synthetic")
          .Help("customers the synthetic generator writes"),
      ParamSpec::Int("data.seed", 1)
          .Range(0, 2147483647)
          .Help("seed of the synthetic data and of the train/validation/test split"),
      ParamSpec::Float("data.signal", 1.0)
          .Range(0, 100)
          .When("data.source", "synthetic")
          .Help("strength of the synthetic data's planted gender signal (0: none)"),
      ParamSpec::String("data.signal_kind", "mix")
          .Choices(SignalKinds())
          .When("data.source", "synthetic")
          .OmittedAtDefault()
          .Help("what carries the synthetic label: mix (category shares, the default), order (an "
                "event of one category right before one of another), recall (the category of "
                "the event after a unique cue, early in the window), rhythm (the regularity of "
                "the gaps) or count (how many events of one category); all but mix are planted "
                "in the last data.max_len events and come with the Bayes posterior "
                "(oracle_test_auc; docs/data.md)"),
      ParamSpec::Float("data.reach", 0.5)
          .Range(0, 1)
          .When("data.source", "synthetic")
          .Help("share of the synthetic signal that only long spans of history show"),
      ParamSpec::String("data.sequence", "none")
          .Choices(SyntheticSequences())
          .When("data.source", "synthetic")
          .Help("order of the synthetic events: none (independent) or markov_v1 (a chain of "
                "categories and gaps that next_event can learn; docs/data.md)"),
      ParamSpec::Float("data.test_fraction", 0.1)
          .Range(0, 0.9)
          .Help("share of labelled customers held out for testing"),
      ParamSpec::Float("data.validation_fraction", 0.1)
          .Range(0, 0.9)
          .Help("share of labelled customers for validation (early stopping)"),
      ParamSpec::Bool("data.skip_bad_rows", false)
          .Help("skip and count malformed rows (and labels without transactions) instead of "
                "failing"),
  };
}

std::vector<ParamSpec> TrainingKeys() {
  return {
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
          .Help("stop after this many epochs without a better validation figure (train: ROC AUC; "
                "next_event: the next category's log loss) (0: never stop early)"),
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
}

}  // namespace

const std::vector<ParamSpec>& KeysOf(KeyGroup group) {
  static const std::vector<ParamSpec> model = ModelKeys();
  static const std::vector<ParamSpec> encoder = EncoderKeys();
  static const std::vector<ParamSpec> transactions = TransactionKeys();
  static const std::vector<ParamSpec> training = TrainingKeys();
  switch (group) {
    case KeyGroup::kModel:
      return model;
    case KeyGroup::kEncoder:
      return encoder;
    case KeyGroup::kTransactions:
      return transactions;
    case KeyGroup::kTraining:
      return training;
  }
  return model;
}

}  // namespace attnsweep
