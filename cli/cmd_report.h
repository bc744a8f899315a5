// `attnsweep report [BATCH...] -o report.html`: plots and tables of batches in one self-contained
// HTML file.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct ReportOptions {
  std::vector<std::string> batches;  // empty: the newest batch
  bool all = false;
  std::string db = "attnsweep.db";
  std::string compare;  // KEY=VALUE: the comparisons' baseline (default: see cmd_report.cc)
  std::string output = "report.html";
};

CLI::App* SetupReportCommand(CLI::App& app, ReportOptions* options);
int RunReportCommand(const ReportOptions& options);

}  // namespace attnsweep
