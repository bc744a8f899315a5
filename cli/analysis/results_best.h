// `attnsweep results --best --by KEY`: in each group of KEY's values (each variant, say), the
// configuration — the values of every other key that varies, seeds aside — whose validation figure,
// averaged over its seeds, is best; reported with its test figure and that figure's 95 % interval,
// and what the group's jobs spent against what a full grid gives them. Chosen on validation, never
// on test (TaskSelection, registry.h, names both for each task).
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/output_format.h"
#include "store/result_store.h"

namespace attnsweep {

struct BestConfiguration {
  std::vector<nlohmann::json> group;  // one value per --by key
  // The chosen configuration: each tuned key (varying, not in --by, not the seed) and its value.
  std::map<std::string, nlohmann::json> configuration;
  int configurations = 0;  // configurations of the group with a done job: what was chosen among
  int left_out = 0;        // configurations with a done job and a failed one: never chosen
  int seeds = 0;           // done jobs of the chosen one
  std::string validation_metric;
  double validation = std::numeric_limits<double>::quiet_NaN();  // its mean over the seeds
  std::string test_metric;
  double test = std::numeric_limits<double>::quiet_NaN();
  // Over the seeds, Student's t; with one seed, the job's own <test>_lo/_hi where it stored them.
  double test_lo = std::numeric_limits<double>::quiet_NaN();
  double test_hi = std::numeric_limits<double>::quiet_NaN();
  // Over the group's done jobs: the spent metric (epochs run) and the budget key (epochs given).
  double spent = 0;
  double budget = 0;
};

// The best configuration of each group, in order of the groups' first jobs; a configuration is
// one set of values of the `tuned` keys (TunedKeys). Jobs of tasks that select nothing (no
// TaskSelection) are left out. `error` says why there is no answer (jobs of two tuned tasks with
// different figures; no job with a validation figure).
std::vector<BestConfiguration> ChooseBest(const std::vector<JobRecord>& jobs,
                                          const std::vector<std::string>& by,
                                          const std::vector<std::string>& tuned,
                                          std::string* error);

// The tuned keys of these jobs under --by `by`, in the order VaryingKeys gives them.
std::vector<std::string> TunedKeys(const std::vector<JobRecord>& jobs,
                                   const std::vector<std::string>& by);

// For people, the test figure as "0.712 [0.690, 0.734]" and spent as "81 of 243"; for machines,
// each number in a column of its own.
Table BestToTable(const std::vector<BestConfiguration>& best, const std::vector<std::string>& by,
                  const std::vector<std::string>& tuned, OutputFormat format);

}  // namespace attnsweep
