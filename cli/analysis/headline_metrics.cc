#include "cli/analysis/headline_metrics.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "experiments/registry.h"

namespace attnsweep {

std::string TaskOf(const JobRecord& job) {
  const auto config = nlohmann::json::parse(job.config, nullptr, false);
  return config.is_object() && config.contains("task") && config["task"].is_string()
             ? config["task"].get<std::string>()
             : "";
}

std::vector<std::string> HeadlineMetrics(const std::vector<JobRecord>& jobs,
                                         const std::set<std::string>& available) {
  std::set<std::string> tasks;
  for (const auto& job : jobs) tasks.insert(TaskOf(job));
  std::vector<std::string> metrics;
  for (const TaskDefinition& task : Tasks()) {
    if (!tasks.count(task.name)) continue;
    for (const auto& name : task.headline_metrics) {
      if (available.count(name) &&
          std::find(metrics.begin(), metrics.end(), name) == metrics.end()) {
        metrics.push_back(name);
      }
    }
  }
  return metrics;
}

std::set<std::string> ScoredMetrics() {
  std::set<std::string> scored;
  for (const TaskDefinition& task : Tasks()) {
    if (!task.scored_metric.empty()) scored.insert(task.scored_metric);
  }
  return scored;
}

std::set<std::string> AvailableMetrics(const std::vector<JobRecord>& jobs) {
  std::set<std::string> available;
  for (const auto& job : jobs) {
    for (const auto& [name, value] : job.metrics) available.insert(name);
    if (job.seconds >= 0) available.insert("seconds");
  }
  return available;
}

}  // namespace attnsweep
