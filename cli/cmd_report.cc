#include "cli/cmd_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/headline_metrics.h"
#include "cli/job_rows.h"
#include "cli/report_page.h"
#include "cli/results_aggregate.h"
#include "cli/results_pivot.h"
#include "experiments/registry.h"
#include "store/result_store.h"
#include "workers/build_info.h"
#include "workers/exit_codes.h"

namespace attnsweep {

CLI::App* SetupReportCommand(CLI::App& app, ReportOptions* options) {
  CLI::App* command = app.add_subcommand(
      "report",
      "Write an HTML report: time and memory against length (log-log, fitted slopes), quality "
      "against length, approximation error, training curves, failed jobs. One file that opens "
      "offline in any browser");
  AddBatchSelection(command, &options->batches, &options->all);
  AddDbOption(command, &options->db);
  command->add_option("-o,--output", options->output, "the HTML file to write")
      ->capture_default_str();
  return command;
}

namespace {

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  return text;
}

// The headline figures of each task's jobs, grouped by the keys that vary among them. Where the
// length is one of several such keys, one table per figure with the lengths as columns (variants
// × lengths at a glance) instead of one long table.
std::vector<TitledTable> HeadlineTables(const std::vector<JobRecord>& jobs) {
  constexpr const char* kLength = "data.max_len";
  std::vector<TitledTable> tables;
  for (const TaskDefinition& task : Tasks()) {
    std::vector<JobRecord> of_task;
    for (const auto& job : jobs) {
      if (TaskOf(job) == task.name) of_task.push_back(job);
    }
    if (of_task.empty()) continue;
    const ResultsQuery query{VaryingKeys(of_task),
                             HeadlineMetrics(of_task, AvailableMetrics(of_task))};
    if (query.metrics.empty()) continue;
    const ResultsTable results = AggregateResults(of_task, query);
    const bool pivot = query.by.size() > 1 &&
                       std::find(query.by.begin(), query.by.end(), kLength) != query.by.end();
    if (!pivot) {
      tables.push_back({task.name + " jobs: mean ± std over seeds",
                        ResultsToTable(results, OutputFormat::kTable)});
      continue;
    }
    for (const auto& metric : query.metrics) {
      ResultsTable one = results;
      one.metrics = {metric};
      tables.push_back(
          {task.name + ": " + metric + " against sequence length (mean ± std over seeds)",
           PivotResults(one, kLength, OutputFormat::kTable)});
    }
  }
  return tables;
}

}  // namespace

int RunReportCommand(const ReportOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const auto batch_ids = SelectBatches(store, options.batches, options.all, options.db);
  if (!batch_ids) return kExitBadInput;
  ReportContent content;
  for (int64_t id : *batch_ids) content.batches.push_back(*store.FindBatch(id));
  const std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_ids);
  std::vector<int64_t> job_ids;
  for (const auto& job : jobs) job_ids.push_back(job.id);
  content.tables = HeadlineTables(jobs);
  content.plots = BuildPlots(jobs, store.Curves(job_ids));
  content.failures = JobsTable(jobs, "failed");
  content.generated = "Written by attnsweep " + std::string(AttnsweepVersion()) + " (" +
                      GitRevision() + ") on " + NowUtc() + " from " + options.db;
  const std::string html = RenderReportHtml(content);
  if (!WriteOutputFile(options.output, html)) return kExitBadInput;
  std::printf("wrote %s: %zu plots, %zu jobs (%zu failed) from %zu batch%s; open it in a browser\n",
              options.output.c_str(), content.plots.size(), jobs.size(),
              content.failures.rows.size(), batch_ids->size(), batch_ids->size() == 1 ? "" : "es");
  return kExitOk;
}

}  // namespace attnsweep
