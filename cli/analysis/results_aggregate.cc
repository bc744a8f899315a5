#include "cli/analysis/results_aggregate.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cli/analysis/sample_statistics.h"
#include "experiments/base/strings.h"

namespace attnsweep {
namespace {

// A job's figures with its wall time as `seconds` where the task recorded none itself.
std::map<std::string, double> FiguresOf(const JobRecord& job) {
  std::map<std::string, double> figures = job.metrics;
  if (job.seconds >= 0 && job.reused_from == 0) figures.emplace("seconds", job.seconds);
  return figures;
}

// A measurement's own bookkeeping, shown only when asked for: its spread, interval, noise flag.
bool IsSpreadOfAnother(const std::string& name) {
  for (const char* suffix : {"_min", "_max", "_lo", "_hi", "_mad", "_noisy"}) {
    if (EndsWith(name, suffix)) return true;
  }
  return name == "threads";
}

using Samples = std::map<std::string, std::vector<double>>;

// See ResultGroup::noisy.
bool NoisyCell(const Samples& samples, const std::string& metric) {
  if (auto flags = samples.find(metric + "_noisy"); flags != samples.end()) {
    for (double flag : flags->second) {
      if (flag >= 0.5) return true;
    }
  }
  auto lo = samples.find(metric + "_lo"), hi = samples.find(metric + "_hi");
  if (lo == samples.end() || hi == samples.end() || lo->second.size() < 2) return false;
  // Intervals on a line share a point if and only if the highest start is below the lowest end.
  return *std::max_element(lo->second.begin(), lo->second.end()) >
         *std::min_element(hi->second.begin(), hi->second.end());
}

}  // namespace

nlohmann::json JobKeyValue(const JobRecord& job, const nlohmann::json& config,
                           const std::string& key) {
  if (key == "experiment") return job.experiment;
  if (key == "batch") return job.batch_id;
  return ConfigValue(config, key);
}

std::vector<std::string> VaryingKeys(const std::vector<JobRecord>& jobs) {
  std::set<std::string> experiments;
  std::set<int64_t> batches;
  std::vector<nlohmann::json> configs;
  for (const auto& job : jobs) {
    experiments.insert(job.experiment);
    batches.insert(job.batch_id);
    configs.push_back(nlohmann::json::parse(job.config));
  }
  std::vector<std::string> keys;
  if (batches.size() > 1) keys.push_back("batch");
  if (experiments.size() > 1) keys.push_back("experiment");
  for (const auto& key : VaryingConfigKeys(configs)) keys.push_back(key);
  return keys;
}

namespace {

// "OOM,TIMEOUT": the kinds failed jobs failed with, upper case.
std::string FailureKinds(const std::map<std::string, int>& failures) {
  std::string text;
  for (const auto& [kind, count] : failures) {
    std::string upper = kind;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    text += (text.empty() ? "" : ",") + upper;
  }
  return text;
}

}  // namespace

ResultsTable AggregateResults(const std::vector<JobRecord>& jobs, const ResultsQuery& query) {
  ResultsTable table;
  table.by = query.by.empty() ? VaryingKeys(jobs) : query.by;
  std::set<std::string> seen_metrics;
  std::vector<std::string> metric_order;
  std::map<std::string, size_t> group_index;
  std::vector<Samples> samples;
  // Per group: done jobs and failures by task; which tasks report each metric.
  std::map<size_t, std::map<std::string, int>> done_by_task;
  std::map<size_t, std::map<std::string, std::map<std::string, int>>> failures_by_task;
  std::map<std::string, std::set<std::string>> metric_tasks;
  for (const auto& job : jobs) {
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> key_values;
    bool has_any_key = table.by.empty();
    for (const auto& key : table.by) {
      key_values.push_back(JobKeyValue(job, config, key));
      has_any_key = has_any_key || !key_values.back().is_null();
    }
    // A job with none of the grouping keys belongs to another task: leave it out.
    if (!has_any_key) continue;
    const std::string group_id = nlohmann::json(key_values).dump();
    auto [it, inserted] = group_index.emplace(group_id, table.groups.size());
    if (inserted) {
      table.groups.push_back(ResultGroup{key_values, 0, {}, {}, {}});
      samples.emplace_back();
    }
    ResultGroup& group = table.groups[it->second];
    const std::string task = config.is_object() ? config.value("task", "") : "";
    if (job.status == "done") {
      ++group.done;
      ++done_by_task[it->second][task];
      for (const auto& [name, value] : FiguresOf(job)) {
        samples[it->second][name].push_back(value);
        metric_tasks[name].insert(task);
        if (seen_metrics.insert(name).second) metric_order.push_back(name);
      }
    } else if (job.status == "failed") {
      const std::string kind = job.error_kind.empty() ? "failed" : job.error_kind;
      ++group.failures[kind];
      ++failures_by_task[it->second][task][kind];
    }
  }
  if (query.metrics.empty()) {
    // The headline figures; spreads (_min, _max, ...) and bookkeeping stay out unless asked for.
    for (const auto& name : metric_order) {
      if (!IsSpreadOfAnother(name)) table.metrics.push_back(name);
    }
  } else {
    table.metrics = query.metrics;
  }
  for (size_t g = 0; g < table.groups.size(); ++g) {
    for (const auto& [name, values] : samples[g]) {
      MetricSummary summary;
      summary.count = static_cast<int>(values.size());
      summary.min = *std::min_element(values.begin(), values.end());
      summary.max = *std::max_element(values.begin(), values.end());
      summary.mean = Mean(values);
      summary.std = std::sqrt(SampleVariance(values));
      table.groups[g].metrics[name] = summary;
    }
    for (const auto& metric : table.metrics) {
      if (samples[g].count(metric)) continue;
      // Only the jobs of the tasks that report the metric count (all, when none is known to).
      const auto reporters = metric_tasks.find(metric);
      auto reports = [&](const std::string& task) {
        return reporters == metric_tasks.end() || reporters->second.count(task) > 0;
      };
      std::map<std::string, int> failures;
      int done = 0;
      for (const auto& [task, kinds] : failures_by_task[g]) {
        if (!reports(task)) continue;
        for (const auto& [kind, count] : kinds) failures[kind] += count;
      }
      for (const auto& [task, count] : done_by_task[g]) done += reports(task) ? count : 0;
      table.groups[g].why_missing[metric] = done == 0 ? FailureKinds(failures) : "";
    }
    for (const auto& metric : table.metrics) {
      if (samples[g].count(metric + "_noisy") || samples[g].count(metric + "_lo"))
        table.noise_measured.insert(metric);
      if (NoisyCell(samples[g], metric)) table.groups[g].noisy.insert(metric);
    }
  }
  return table;
}

nlohmann::json SummaryCell(const ResultGroup& group, const std::string& metric, bool for_people) {
  auto found = group.metrics.find(metric);
  if (found == group.metrics.end()) {
    // A job that measured part of its figures and ran out of memory in another part records
    // <part>_oom instead of that part's <part>_ figures (a benchmark's fwdbwd_oom: its forward
    // pass fit, its backward pass did not).
    for (size_t cut = metric.find('_'); cut != std::string::npos; cut = metric.find('_', cut + 1)) {
      if (group.metrics.count(metric.substr(0, cut) + "_oom")) return "OOM";
    }
    // No done job has it: say why, when the jobs that would have measured it failed (an OOM row is
    // a result too).
    const auto why = group.why_missing.find(metric);
    const std::string failures = why != group.why_missing.end() ? why->second
                                 : group.done == 0              ? FailureKinds(group.failures)
                                                                : "";
    return failures.empty() ? nlohmann::json() : nlohmann::json(failures);
  }
  const MetricSummary& s = found->second;
  if (!for_people) return s.mean;
  const std::string mark = group.noisy.count(metric) ? kNoisyMark : "";
  return (s.count > 1 ? FormatNumber(s.mean) + " ± " + FormatNumber(s.std) : FormatNumber(s.mean)) +
         mark;
}

std::string NoisyCellsNote(const ResultsTable& results) {
  std::set<std::string> noisy;
  for (const auto& group : results.groups) {
    for (const auto& metric : results.metrics) {
      if (group.noisy.count(metric)) noisy.insert(metric);
    }
  }
  if (noisy.empty()) return "";
  std::string names;
  for (const auto& name : noisy) names += (names.empty() ? "" : ", ") + name;
  return std::string(kNoisyMark) + " noisy (" + names +
         "): a timed pass hit its cap (bench.max_repeats, bench.max_seconds) before its median's "
         "95 % interval was within bench.rel_ci, or the seeds' intervals do not overlap; "
         "--metrics <m>_lo,<m>_hi shows the intervals, load_avg,other_cores what the machine did";
}

Table ResultsToTable(const ResultsTable& results, OutputFormat format) {
  const bool for_people = format == OutputFormat::kTable || format == OutputFormat::kMarkdown;
  Table table;
  table.columns = results.by;
  for (const auto& metric : results.metrics) {
    table.columns.push_back(metric);
    if (!for_people) table.columns.push_back(metric + "_std");
    if (!for_people && results.noise_measured.count(metric))
      table.columns.push_back(metric + "_noisy");
  }
  table.columns.push_back("n");
  table.columns.push_back("failed");
  for (const auto& group : results.groups) {
    std::vector<nlohmann::json> row = group.key_values;
    int failed = 0;
    for (const auto& [kind, count] : group.failures) failed += count;
    for (const auto& metric : results.metrics) {
      row.push_back(SummaryCell(group, metric, for_people));
      if (!for_people) {
        auto found = group.metrics.find(metric);
        row.push_back(found != group.metrics.end() && found->second.count > 1
                          ? nlohmann::json(found->second.std)
                          : nlohmann::json());
        if (results.noise_measured.count(metric))
          row.push_back(found != group.metrics.end() ? nlohmann::json(group.noisy.count(metric) > 0)
                                                     : nlohmann::json());
      }
    }
    row.push_back(group.done);
    row.push_back(failed);
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace attnsweep
