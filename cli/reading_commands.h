// The commands that read or tidy a store, or prepare data, and run no job: stop, check, status,
// results, query, keys, logs, export, jobs, curves, rm, tag, report, data. They need no LibTorch
// and no MPI, so the attnsweep binary runs them itself, in milliseconds; run and resume go to the
// binary that runs jobs (cli/main.cc).
#pragma once

#include "cli/cmd_check.h"
#include "cli/cmd_curves.h"
#include "cli/cmd_data.h"
#include "cli/cmd_export.h"
#include "cli/cmd_jobs.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_logs.h"
#include "cli/cmd_query.h"
#include "cli/cmd_report.h"
#include "cli/cmd_results.h"
#include "cli/cmd_rm.h"
#include "cli/cmd_status.h"
#include "cli/cmd_stop.h"
#include "cli/cmd_tag.h"

namespace CLI {
class App;
}

namespace attnsweep {

// Their subcommands, options and dispatch: the two binaries' apps add them alike. Not copyable
// (the subcommands point into its options).
class ReadingCommands {
 public:
  explicit ReadingCommands(CLI::App& app);
  ReadingCommands(const ReadingCommands&) = delete;
  ReadingCommands& operator=(const ReadingCommands&) = delete;

  // After parsing, when one of them was given: runs it; returns its exit code.
  int Run() const;

 private:
  StopOptions stop_options_;
  CheckOptions check_options_;
  StatusOptions status_options_;
  ResultsOptions results_options_;
  QueryOptions query_options_;
  KeysOptions keys_options_;
  LogsOptions logs_options_;
  DataOptions data_options_;
  ReportOptions report_options_;
  TagOptions tag_options_;
  RmOptions rm_options_;
  CurvesOptions curves_options_;
  JobsOptions jobs_options_;
  ExportOptions export_options_;
  CLI::App* stop_;
  CLI::App* check_;
  CLI::App* status_;
  CLI::App* results_;
  CLI::App* query_;
  CLI::App* keys_;
  CLI::App* logs_;
  CLI::App* export_;
  CLI::App* jobs_;
  CLI::App* curves_;
  CLI::App* rm_;
  CLI::App* tag_;
  CLI::App* report_;
  DataCommands data_;
};

}  // namespace attnsweep
