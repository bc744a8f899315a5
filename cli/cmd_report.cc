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
#include "cli/results_compare.h"
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

// The baseline train jobs are compared against: the option's, or exact attention's where the
// variant varies, else the first variant; nullopt when there is nothing to compare.
std::optional<CompareBaseline> ReportBaseline(const std::vector<JobRecord>& train,
                                              const std::string& option) {
  std::string error;
  if (!option.empty()) return ParseCompareBaseline(option, &error);
  const auto keys = VaryingKeys(train);
  if (std::find(keys.begin(), keys.end(), "model.attention") == keys.end()) return std::nullopt;
  std::string first;
  for (const auto& job : train) {
    const auto variant = ConfigValue(nlohmann::json::parse(job.config), "model.attention");
    if (variant == "softmax") return ParseCompareBaseline("model.attention=softmax", &error);
    if (first.empty() && variant.is_string()) first = variant.get<std::string>();
  }
  return ParseCompareBaseline("model.attention=" + first, &error);
}

// The train jobs' headline figures against the baseline: a table, and the AUC differences drawn.
void AddComparisons(ResultStore& store, const std::vector<JobRecord>& jobs,
                    const std::string& option, ReportContent* content) {
  std::vector<JobRecord> train;
  for (const auto& job : jobs) {
    if (TaskOf(job) == "train") train.push_back(job);
  }
  if (train.empty()) return;
  const auto baseline = ReportBaseline(train, option);
  if (!baseline) return;
  std::vector<std::string> by = VaryingKeys(train);
  if (std::find(by.begin(), by.end(), baseline->key) == by.end())
    by.insert(by.begin(), baseline->key);
  if (std::find(by.begin(), by.end(), "data.max_len") == by.end()) by.push_back("data.max_len");
  const auto rows = CompareGroups(
      train, by, *baseline, HeadlineMetrics(train, AvailableMetrics(train)), [&](int64_t job_id) {
        std::vector<ScoredExample> scores;
        for (const Prediction& p : store.Predictions(job_id))
          scores.push_back({p.example, p.label, p.score});
        return scores;
      });
  if (rows.empty()) return;
  const std::string name = baseline->key + "=" + baseline->text;
  content->tables.push_back({"train jobs against " + name +
                                 ", paired by seed (95 % intervals; p (Holm) adjusted for the "
                                 "table's tests)",
                             ComparisonsToTable(rows, by, OutputFormat::kTable)});
  Plot plot = ComparisonPlot(rows, by, "test_auc", name);
  if (!plot.points.empty()) content->plots.push_back(std::move(plot));
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
