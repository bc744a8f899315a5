// A synthetic twin of the gender data (docs/data.md): the same four files, with the real data's
// marginals imitated and a gender signal planted on purpose, of controllable strength and reach, so
// that tests, demos and benchmarks run the very code that reads the real files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnsweep {

struct SyntheticOptions {
  int64_t customers = 8000;
  uint64_t seed = 1;
  // Strength of the planted signal: 0 = none (labels independent of the transactions).
  double signal = 1.0;
  // How much of it is long-range (0..1): rare categories spread over the whole history and
  // date-bound events, visible only across long spans, rather than a shifted spending mix that any
  // short window shows.
  double reach = 0.5;
  double labelled_fraction = 0.56;  // customers listed in gender_train.csv
  // Order within a customer's history. "none": events drawn independently, their days uniform
  // over the customer's span (sorted), as every set before 2026-12 was. "markov_v1": a chain, for
  // next-event prediction: the next category follows the current one (with probability
  // 0.5 one of its three successors, else the customer's own mix), and the gap to it
  // is log-normal around a period of the current category. Versioned: a later chain gets a new
  // name, so a set once generated never changes.
  std::string sequence = "none";
  // What carries the label (signal_families.h): "mix", the category shares above (strength
  // `signal`, `reach`), or order, recall, rhythm, count, planted in the last `window` events
  // (data.max_len) with strength `signal`, each customer's posterior written to
  // oracle_posterior.csv. The others take independent events (sequence none).
  std::string signal_kind = "mix";
  int64_t window = 0;
};

// The names `sequence` takes.
const std::vector<std::string>& SyntheticSequences();
// The names `signal_kind` takes, mix first.
const std::vector<std::string>& SignalKinds();

// The file beside the generated ones holding each customer's P(label = 1 | the window), for the
// families that plant their signal: customer_id,posterior.
constexpr const char* kOraclePosteriorFile = "oracle_posterior.csv";

struct SyntheticSummary {
  int64_t customers = 0, labelled = 0, rows = 0, bytes = 0;
};

// Writes transactions.csv, gender_train.csv, tr_mcc_codes.csv and tr_types.csv into `folder`
// (created if missing). The same options give the same bytes.
SyntheticSummary GenerateSynthetic(const SyntheticOptions& options, const std::string& folder);

// What the markov_v1 generator draws the next event from, for the learnable ceiling of next-event
// prediction: the true distribution of a customer's next category given the current one, and the
// median of the gap after an event of a category. (Events planted for the gender signal around two
// holidays are outside the chain: the oracle does not foresee them.)
class SyntheticSequenceOracle {
 public:
  // Throws std::invalid_argument unless options.sequence is "markov_v1".
  explicit SyntheticSequenceOracle(const SyntheticOptions& options);

  // The generator's categories, in the order of NextCategory's probabilities.
  const std::vector<int32_t>& codes() const { return codes_; }
  // P(next category | this customer, current category `code`); empty for a code the generator
  // never writes.
  std::vector<double> NextCategory(int64_t customer_id, int32_t code) const;
  // Median of the gap after an event of category `code`, in days (0 for an unknown code).
  double MedianGapDays(int32_t code) const;

 private:
  SyntheticOptions options_;
  std::vector<int32_t> codes_;
  std::vector<double> base_, periods_;
  std::vector<std::vector<std::pair<int, double>>> successors_;
  mutable std::map<int64_t, std::vector<double>> mixes_;  // by customer id, normalised
};

}  // namespace attnsweep
