#include "cli/reading_commands.h"

#include <CLI/CLI.hpp>

namespace attnsweep {

// In the order `attnsweep --help` lists them, after run and resume.
ReadingCommands::ReadingCommands(CLI::App& app)
    : stop_(SetupStopCommand(app, &stop_options_)),
      check_(SetupCheckCommand(app, &check_options_)),
      status_(SetupStatusCommand(app, &status_options_)),
      results_(SetupResultsCommand(app, &results_options_)),
      query_(SetupQueryCommand(app, &query_options_)),
      keys_(SetupKeysCommand(app, &keys_options_)),
      logs_(SetupLogsCommand(app, &logs_options_)),
      export_(SetupExportCommand(app, &export_options_)),
      jobs_(SetupJobsCommand(app, &jobs_options_)),
      curves_(SetupCurvesCommand(app, &curves_options_)),
      rm_(SetupRmCommand(app, &rm_options_)),
      tag_(SetupTagCommand(app, &tag_options_)),
      report_(SetupReportCommand(app, &report_options_)),
      data_(SetupDataCommand(app, &data_options_)) {}

int ReadingCommands::Run() const {
  if (stop_->parsed()) return RunStopCommand(stop_options_);
  if (check_->parsed()) return RunCheckCommand(check_options_);
  if (status_->parsed()) return RunStatusCommand(status_options_);
  if (results_->parsed()) return RunResultsCommand(results_options_);
  if (query_->parsed()) return RunQueryCommand(query_options_);
  if (keys_->parsed()) return RunKeysCommand(keys_options_);
  if (logs_->parsed()) return RunLogsCommand(logs_options_);
  if (report_->parsed()) return RunReportCommand(report_options_);
  if (tag_->parsed()) return RunTagCommand(tag_options_);
  if (rm_->parsed()) return RunRmCommand(rm_options_);
  if (curves_->parsed()) return RunCurvesCommand(curves_options_);
  if (jobs_->parsed()) return RunJobsCommand(jobs_options_);
  if (export_->parsed()) return RunExportCommand(export_options_);
  return RunDataCommand(data_, data_options_);
}

}  // namespace attnsweep
