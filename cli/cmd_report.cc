#include "cli/cmd_report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "cli/analysis/headline_metrics.h"
#include "cli/analysis/report_page.h"
#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/results_compare.h"
#include "cli/analysis/results_pivot.h"
#include "cli/common.h"
#include "cli/job_rows.h"
#include "cli/output_file.h"
#include "experiments/base/build_info.h"
#include "experiments/base/exit_codes.h"
#include "experiments/registry.h"
#include "store/result_store.h"

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
  command->add_option("--compare", options->compare,
                      "KEY=VALUE: the train jobs' comparison table and plot against this "
                      "baseline (default: model.attention=softmax where train jobs vary the "
                      "variant, else their first variant); as `results --compare`");
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

// The baseline a task's jobs are compared against: the option's, or the reference variant's
// (softmax, VariantDefinition::reference) where the variant varies, else the first variant;
// nullopt when there is nothing to compare.
std::optional<CompareBaseline> ReportBaseline(const std::vector<JobRecord>& jobs,
                                              const std::string& option) {
  std::string error;
  if (!option.empty()) return ParseCompareBaseline(option, &error);
  const auto keys = VaryingKeys(jobs);
  if (std::find(keys.begin(), keys.end(), "model.attention") == keys.end()) return std::nullopt;
  std::string first;
  for (const auto& job : jobs) {
    const auto variant = ConfigValue(nlohmann::json::parse(job.config), "model.attention");
    if (!variant.is_string()) continue;
    const std::string name = variant.get<std::string>();
    const VariantDefinition* definition = FindVariant(name);
    if (definition != nullptr && definition->reference)
      return ParseCompareBaseline("model.attention=" + name, &error);
    if (first.empty()) first = name;
  }
  return ParseCompareBaseline("model.attention=" + first, &error);
}

// The headline figures of each task that stores per-example scores (train) against the baseline:
// a table, and the differences in its scored figure drawn with their intervals.
void AddComparisons(ResultStore& store, const std::vector<JobRecord>& jobs,
                    const std::string& option, ReportContent* content) {
  for (const TaskDefinition& task : Tasks()) {
    if (task.scored_metric.empty()) continue;
    std::vector<JobRecord> of_task;
    for (const auto& job : jobs) {
      if (TaskOf(job) == task.name) of_task.push_back(job);
    }
    if (of_task.empty()) continue;
    const auto baseline = ReportBaseline(of_task, option);
    if (!baseline) continue;
    std::vector<std::string> by = ComparisonKeys(VaryingKeys(of_task), *baseline);
    if (std::find(by.begin(), by.end(), "data.max_len") == by.end()) by.push_back("data.max_len");
    const auto rows =
        CompareGroups(of_task, by, *baseline, HeadlineMetrics(of_task, AvailableMetrics(of_task)),
                      ScoredMetrics(), StoredPredictions(store));
    if (rows.empty()) continue;
    const std::string name = baseline->key + "=" + baseline->text;
    content->tables.push_back({task.name + " jobs against " + name +
                                   ", paired by seed (95 % intervals; p (Holm) adjusted for the "
                                   "table's tests)",
                               ComparisonsToTable(rows, by, OutputFormat::kTable)});
    Plot plot = ComparisonPlot(rows, by, task.scored_metric, name);
    if (!plot.points.empty()) content->plots.push_back(std::move(plot));
  }
}

}  // namespace

int RunReportCommand(const ReportOptions& options) {
  // A baseline that cannot be read is said before anything is read or written, not skipped.
  if (!options.compare.empty()) {
    std::string error;
    if (!ParseCompareBaseline(options.compare, &error)) {
      PrintError(error);
      return kExitBadInput;
    }
  }
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  if (!OutputMayBeWritten(options.output, options.db, store)) return kExitBadInput;
  const std::string extension = std::filesystem::path(options.output).extension().string();
  if (extension != ".html" && extension != ".htm") {
    PrintError("report writes HTML: name -o's file .html (got '" + options.output + "')");
    return kExitBadInput;
  }
  const auto batch_ids = SelectBatches(store, options.batches, options.all, options.db);
  if (!batch_ids) return kExitBadInput;
  ReportContent content;
  for (int64_t id : *batch_ids) content.batches.push_back(*store.FindBatch(id));
  const std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_ids);
  std::vector<int64_t> job_ids;
  for (const auto& job : jobs) job_ids.push_back(job.id);
  content.tables = HeadlineTables(jobs);
  content.plots = BuildPlots(jobs, store.Curves(job_ids));
  AddComparisons(store, jobs, options.compare, &content);
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
