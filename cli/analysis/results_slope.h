// `attnsweep results --slope KEY`: per group of the other keys, the log-log slope of each metric
// against KEY (data.max_len: 1 is linear growth, 2 quadratic).
#pragma once

#include <optional>
#include <string>

#include "cli/analysis/results_aggregate.h"
#include "cli/output_format.h"

namespace attnsweep {

// The slope of one metric's group means against `key`, for the groups whose other keys equal
// `others` (a JSON array of their values, in `results.by` order without `key`).
struct SlopeRow {
  std::vector<nlohmann::json> others;
  std::map<std::string, std::optional<double>> slopes;  // metric -> slope (nullopt: < 2 points)
  int points = 0;                                       // distinct values of `key` with a mean
  // Why a slope may not be worth reading: "fwd_ms: 2 of 6 points noisy", "fwd_ms: 2 points"
  // (fewer than kFewestPointsToTrust); "" when nothing is wrong.
  std::string caveat;
};

// A line through two points always fits: a slope from fewer points says nothing of a power law.
constexpr int kFewestPointsToTrust = 3;

// `results` must be grouped by `key` among others; rows in order of first appearance.
std::vector<SlopeRow> FitSlopes(const ResultsTable& results, const std::string& key);

Table SlopeTable(const ResultsTable& results, const std::string& key);

}  // namespace attnsweep
