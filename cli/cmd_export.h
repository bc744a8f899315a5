// `attnsweep export [BATCH...] -o out.csv|out.json`: one row per job, every config key and every
// metric in a column of its own, for pandas, R or a spreadsheet.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct ExportOptions {
  std::vector<std::string> batches;  // empty: the newest batch
  bool all = false;
  std::string db = "attnsweep.db";
  std::string output;  // empty: stdout
  std::string format;  // empty: from the output's extension (csv without one)
};

CLI::App* SetupExportCommand(CLI::App& app, ExportOptions* options);
int RunExportCommand(const ExportOptions& options);

}  // namespace attnsweep
