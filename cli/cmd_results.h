// `attnsweep results [BATCH...]`: metrics grouped by config keys, mean ± std over the rest (the
// seeds).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct ResultsOptions {
  std::vector<std::string> batches;  // ids or names; empty: the newest batch
  bool all = false;                  // every batch
  std::string db = "attnsweep.db";
  std::vector<std::string> by;
  std::vector<std::string> metrics;
  std::string where;
  std::string experiment;
  std::string pivot;    // a grouping key whose values become columns
  std::string slope;    // a grouping key to fit each metric's log-log slope against
  bool curves = false;  // per-epoch series instead of final figures: one row per group and epoch
  std::string compare;  // KEY=VALUE: every other group against this baseline (results_compare.h)
  bool best = false;    // each --by group's best configuration on validation (results_best.h)
  std::string format = "table";
};

CLI::App* SetupResultsCommand(CLI::App& app, ResultsOptions* options);
int RunResultsCommand(const ResultsOptions& options);

}  // namespace attnsweep
