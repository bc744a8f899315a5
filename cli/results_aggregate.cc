#include "cli/results_aggregate.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace attnsweep {
namespace {

void Flatten(const nlohmann::json& node, const std::string& prefix,
             std::map<std::string, nlohmann::json>* out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, out);
    } else {
      (*out)[key] = *it;
    }
  }
}

nlohmann::json GroupValue(const JobRecord& job, const nlohmann::json& config,
                          const std::string& key) {
  if (key == "experiment") return job.experiment;
  return ConfigValue(config, key);
}

}  // namespace

nlohmann::json ConfigValue(const nlohmann::json& config, const std::string& dotted_key) {
  const nlohmann::json* node = &config;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted_key.find('.', start);
    const std::string part = dotted_key.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    if (dot == std::string::npos) return *node;
    start = dot + 1;
  }
}

std::vector<std::string> VaryingKeys(const std::vector<JobRecord>& jobs) {
  std::map<std::string, std::set<std::string>> values;  // key -> distinct values
  std::set<std::string> experiments;
  for (const auto& job : jobs) {
    experiments.insert(job.experiment);
    std::map<std::string, nlohmann::json> flat;
    Flatten(nlohmann::json::parse(job.config), "", &flat);
    for (const auto& [key, value] : flat) {
      values[key].insert(value.dump());
    }
  }
  std::vector<std::string> keys;
  if (experiments.size() > 1) keys.push_back("experiment");
  // Seeds are what we average over; the task follows from the experiment.
  for (const auto& [key, distinct] : values) {
    if (key != "seed" && key != "task" && distinct.size() > 1) keys.push_back(key);
  }
  return keys;
}

ResultsTable AggregateResults(const std::vector<JobRecord>& jobs, const ResultsQuery& query) {
  ResultsTable table;
  table.by = query.by.empty() ? VaryingKeys(jobs) : query.by;
  std::set<std::string> seen_metrics;
  std::vector<std::string> metric_order;
  std::map<std::string, size_t> group_index;
  std::vector<std::map<std::string, std::vector<double>>> samples;
  for (const auto& job : jobs) {
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> key_values;
    bool has_any_key = table.by.empty();
    for (const auto& key : table.by) {
      key_values.push_back(GroupValue(job, config, key));
      has_any_key = has_any_key || !key_values.back().is_null();
    }
    // A job with none of the grouping keys belongs to another task: leave it out.
    if (!has_any_key) continue;
    const std::string group_id = nlohmann::json(key_values).dump();
    auto [it, inserted] = group_index.emplace(group_id, table.groups.size());
    if (inserted) {
      table.groups.push_back(ResultGroup{key_values, 0, {}, {}});
      samples.emplace_back();
    }
    ResultGroup& group = table.groups[it->second];
    if (job.status == "done") {
      ++group.done;
      for (const auto& [name, value] : job.metrics) {
        samples[it->second][name].push_back(value);
        if (seen_metrics.insert(name).second) metric_order.push_back(name);
      }
    } else if (job.status == "failed") {
      ++group.failures[job.error_kind.empty() ? "failed" : job.error_kind];
    }
  }
  if (query.metrics.empty()) {
    // The headline figures; spreads (_min, _max) and bookkeeping stay out unless asked for.
    for (const auto& name : metric_order) {
      const bool spread = name.size() > 4 && (name.compare(name.size() - 4, 4, "_min") == 0 ||
                                              name.compare(name.size() - 4, 4, "_max") == 0);
      if (!spread && name != "threads") table.metrics.push_back(name);
    }
  } else {
    table.metrics = query.metrics;
  }
  for (size_t g = 0; g < table.groups.size(); ++g) {
    for (const auto& [name, values] : samples[g]) {
      MetricSummary summary;
      summary.count = static_cast<int>(values.size());
      for (double v : values) summary.mean += v;
      summary.mean /= summary.count;
      if (summary.count > 1) {
        double squares = 0;
        for (double v : values) squares += (v - summary.mean) * (v - summary.mean);
        summary.std = std::sqrt(squares / (summary.count - 1));
      }
      table.groups[g].metrics[name] = summary;
    }
  }
  return table;
}

Table ResultsToTable(const ResultsTable& results, OutputFormat format) {
  const bool for_people = format == OutputFormat::kTable || format == OutputFormat::kMarkdown;
  Table table;
  table.columns = results.by;
  for (const auto& metric : results.metrics) {
    table.columns.push_back(metric);
    if (!for_people) table.columns.push_back(metric + "_std");
  }
  table.columns.push_back("n");
  table.columns.push_back("failed");
  for (const auto& group : results.groups) {
    std::vector<nlohmann::json> row = group.key_values;
    std::string failure_text;
    int failed = 0;
    for (const auto& [kind, count] : group.failures) {
      std::string upper = kind;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      failure_text += (failure_text.empty() ? "" : ",") + upper;
      failed += count;
    }
    for (const auto& metric : results.metrics) {
      auto found = group.metrics.find(metric);
      if (found == group.metrics.end()) {
        // No done job has it: say why, when the jobs failed (an OOM row is a result too).
        row.push_back(group.done == 0 && !failure_text.empty() ? nlohmann::json(failure_text)
                                                               : nlohmann::json());
        if (!for_people) row.push_back(nullptr);
        continue;
      }
      const MetricSummary& s = found->second;
      if (for_people) {
        row.push_back(s.count > 1 ? FormatNumber(s.mean) + " ± " + FormatNumber(s.std)
                                  : FormatNumber(s.mean));
      } else {
        row.push_back(s.mean);
        row.push_back(s.count > 1 ? nlohmann::json(s.std) : nlohmann::json());
      }
    }
    row.push_back(group.done);
    row.push_back(failed);
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace attnsweep
