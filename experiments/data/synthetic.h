// A synthetic twin of the gender data (docs/data.md): the same four files, with the real data's
// marginals imitated and a gender signal planted on purpose, of controllable strength and reach, so
// that tests, demos and benchmarks run the very code that reads the real files.
#pragma once

#include <cstdint>
#include <string>

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
};

struct SyntheticSummary {
  int64_t customers = 0, labelled = 0, rows = 0, bytes = 0;
};

// Writes transactions.csv, gender_train.csv, tr_mcc_codes.csv and tr_types.csv into `folder`
// (created if missing). The same options give the same bytes.
SyntheticSummary GenerateSynthetic(const SyntheticOptions& options, const std::string& folder);

}  // namespace attnsweep
