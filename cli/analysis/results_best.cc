#include "cli/analysis/results_best.h"

#include <algorithm>
#include <cmath>

#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/sample_statistics.h"
#include "experiments/registry.h"
#include "experiments/student_t.h"

namespace attnsweep {
namespace {

// The jobs of one configuration of one group.
struct Candidate {
  std::map<std::string, nlohmann::json> configuration;
  std::vector<const JobRecord*> done;
  int failed = 0;  // seeds that failed (diverged, say)
};

// The chosen configuration's test figure over its seeds, with its interval.
void SummariseTest(const std::vector<const JobRecord*>& done, BestConfiguration* best) {
  std::vector<double> tests;
  for (const JobRecord* job : done) {
    if (auto found = job->metrics.find(best->test_metric); found != job->metrics.end()) {
      tests.push_back(found->second);
    }
  }
  if (tests.empty()) return;
  best->test = Mean(tests);
  if (tests.size() == 1) {
    const auto& metrics = done.front()->metrics;
    const auto lo = metrics.find(best->test_metric + "_lo");
    const auto hi = metrics.find(best->test_metric + "_hi");
    if (lo != metrics.end() && hi != metrics.end()) {
      best->test_lo = lo->second;
      best->test_hi = hi->second;
    }
    return;
  }
  const double n = static_cast<double>(tests.size());
  const double half = StudentTQuantile(0.975, n - 1) * std::sqrt(SampleVariance(tests) / n);
  best->test_lo = best->test - half;
  best->test_hi = best->test + half;
}

}  // namespace

std::vector<std::string> TunedKeys(const std::vector<JobRecord>& jobs,
                                   const std::vector<std::string>& by) {
  std::vector<std::string> tuned;
  for (const auto& key : VaryingKeys(jobs)) {
    if (std::find(by.begin(), by.end(), key) == by.end()) tuned.push_back(key);
  }
  return tuned;
}

std::vector<BestConfiguration> ChooseBest(const std::vector<JobRecord>& jobs,
                                          const std::vector<std::string>& by,
                                          const std::vector<std::string>& tuned,
                                          std::string* error) {
  // The tuned task's selection: one set of figures for the whole table.
  const TaskSelection* selection = nullptr;
  std::vector<std::pair<const JobRecord*, nlohmann::json>> tuned_jobs;  // with their configs
  for (const JobRecord& job : jobs) {
    nlohmann::json config = nlohmann::json::parse(job.config);
    const TaskDefinition* task = FindTask(config.value("task", ""));
    if (task == nullptr || task->selection.validation_metric.empty()) continue;
    if (selection != nullptr && selection->validation_metric != task->selection.validation_metric) {
      *error = "--best: these jobs are tuned on different figures (" +
               selection->validation_metric + ", " + task->selection.validation_metric +
               "): choose one task's with --experiment or "
               "--where";
      return {};
    }
    selection = &task->selection;
    tuned_jobs.emplace_back(&job, std::move(config));
  }
  if (selection == nullptr) {
    *error =
        "--best chooses among jobs that record a validation figure (train, next_event); none "
        "here do";
    return {};
  }
  std::vector<BestConfiguration> best;
  std::vector<std::map<std::string, Candidate>> candidates;  // per group, by configuration
  std::map<std::string, size_t> group_index;
  for (const auto& [job, config] : tuned_jobs) {
    std::vector<nlohmann::json> group;
    for (const auto& key : by) group.push_back(JobKeyValue(*job, config, key));
    const std::string group_text = nlohmann::json(group).dump();
    auto [at, added] = group_index.emplace(group_text, best.size());
    if (added) {
      BestConfiguration row;
      row.group = group;
      row.validation_metric = selection->validation_metric;
      row.test_metric = selection->test_metric;
      best.push_back(std::move(row));
      candidates.emplace_back();
    }
    std::map<std::string, nlohmann::json> configuration;
    for (const auto& key : tuned) configuration[key] = JobKeyValue(*job, config, key);
    Candidate& candidate = candidates[at->second][nlohmann::json(configuration).dump()];
    if (job->status == "failed") ++candidate.failed;
    if (job->status != "done") continue;
    BestConfiguration& row = best[at->second];
    if (auto spent = job->metrics.find(selection->spent_metric); spent != job->metrics.end()) {
      row.spent += spent->second;
    }
    const nlohmann::json budget = JobKeyValue(*job, config, selection->budget_key);
    if (budget.is_number()) row.budget += budget.get<double>();
    candidate.configuration = std::move(configuration);
    candidate.done.push_back(job);
  }
  for (size_t g = 0; g < best.size(); ++g) {
    BestConfiguration& row = best[g];
    const Candidate* chosen = nullptr;
    for (const auto& [text, candidate] : candidates[g]) {
      std::vector<double> validation;
      for (const JobRecord* job : candidate.done) {
        if (auto v = job->metrics.find(selection->validation_metric); v != job->metrics.end()) {
          validation.push_back(v->second);
        }
      }
      if (validation.empty()) continue;
      // A configuration some of whose seeds failed (diverged) is not a choice: the mean of its
      // survivors would flatter it.
      if (candidate.failed > 0) {
        ++row.left_out;
        continue;
      }
      ++row.configurations;
      const double mean = Mean(validation);
      const bool better =
          std::isnan(row.validation) ||
          (selection->higher_is_better ? mean > row.validation : mean < row.validation);
      if (better) {
        row.validation = mean;
        chosen = &candidate;
      }
    }
    if (chosen == nullptr) continue;
    row.configuration = chosen->configuration;
    row.seeds = static_cast<int>(chosen->done.size());
    SummariseTest(chosen->done, &row);
  }
  return best;
}

Table BestToTable(const std::vector<BestConfiguration>& best, const std::vector<std::string>& by,
                  const std::vector<std::string>& tuned, OutputFormat format) {
  const bool for_people = format == OutputFormat::kTable || format == OutputFormat::kMarkdown;
  Table table;
  table.columns = by;
  table.columns.insert(table.columns.end(), tuned.begin(), tuned.end());
  const std::string validation = best.empty() ? "validation" : best.front().validation_metric;
  const std::string test = best.empty() ? "test" : best.front().test_metric;
  for (const char* column : {"configs", "seeds"}) table.columns.push_back(column);
  table.columns.push_back(validation);
  if (for_people) {
    table.columns.push_back(test + " [95 % interval]");
    table.columns.push_back("epochs spent");
  } else {
    for (const std::string& column :
         {test, test + "_lo", test + "_hi", std::string("spent"), std::string("budget")}) {
      table.columns.push_back(column);
    }
  }
  const auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  for (const BestConfiguration& row : best) {
    std::vector<nlohmann::json> cells = row.group;
    for (const auto& key : tuned) {
      const auto found = row.configuration.find(key);
      cells.push_back(found == row.configuration.end() ? nlohmann::json() : found->second);
    }
    cells.push_back(row.configurations);
    cells.push_back(row.seeds);
    cells.push_back(number(row.validation));
    if (for_people) {
      std::string text = std::isnan(row.test) ? "" : FormatNumber(row.test);
      if (!std::isnan(row.test_lo)) {
        text += " [" + FormatNumber(row.test_lo) + ", " + FormatNumber(row.test_hi) + "]";
      }
      cells.push_back(text);
      cells.push_back(FormatNumber(row.spent) + " of " + FormatNumber(row.budget));
    } else {
      for (double v : {row.test, row.test_lo, row.test_hi, row.spent, row.budget}) {
        cells.push_back(number(v));
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace attnsweep
