// `attnsweep results [BATCH]`: metrics grouped by config keys, mean ± std over the rest (the
// seeds).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct ResultsOptions {
  std::string batch;  // id or name; empty: the newest batch
  std::string db = "attnsweep.db";
  std::vector<std::string> by;
  std::vector<std::string> metrics;
  std::string where;
  std::string experiment;
  std::string format = "table";
};

CLI::App* SetupResultsCommand(CLI::App& app, ResultsOptions* options);
int RunResultsCommand(const ResultsOptions& options);

}  // namespace attnsweep
