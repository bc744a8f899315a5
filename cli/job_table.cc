#include "cli/job_table.h"

#include <algorithm>
#include <map>
#include <utility>

namespace attnsweep {
namespace {

// The short job key people quote, as `git log --oneline` quotes commits.
constexpr size_t kShortKeyLength = 12;

// Sections become dotted keys; a list of numbers stays one value, as the grid file writes it.
void Flatten(const nlohmann::json& node, const std::string& prefix,
             std::map<std::string, nlohmann::json>* leaves, std::vector<std::string>* order) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      Flatten(*it, key, leaves, order);
    } else {
      leaves->emplace(key, *it);
      order->push_back(key);
    }
  }
}

}  // namespace

Table VaryingKeysTable(const std::vector<JobSpec>& jobs) {
  std::vector<std::map<std::string, nlohmann::json>> flat(jobs.size());
  std::vector<std::string> keys;  // every key of any job, first seen first
  for (size_t j = 0; j < jobs.size(); ++j) {
    std::vector<std::string> order;
    Flatten(jobs[j].config, "", &flat[j], &order);
    for (const auto& key : order) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  std::vector<std::string> varying;
  for (const auto& key : keys) {
    const nlohmann::json* first_value = nullptr;
    bool differs = false;
    for (size_t j = 0; j < jobs.size(); ++j) {
      const auto found = flat[j].find(key);
      if (found == flat[j].end()) continue;
      if (first_value == nullptr) {
        first_value = &found->second;
      } else if (found->second != *first_value) {
        differs = true;
      }
    }
    if (differs) varying.push_back(key);
  }
  // In a grid that mixes tasks, `task` says which keys a row reads: it comes first.
  const auto task = std::find(varying.begin(), varying.end(), "task");
  if (task != varying.end()) std::rotate(varying.begin(), task, task + 1);

  Table table;
  table.columns = {"experiment", "job"};
  table.columns.insert(table.columns.end(), varying.begin(), varying.end());
  for (size_t j = 0; j < jobs.size(); ++j) {
    std::vector<nlohmann::json> row = {jobs[j].experiment,
                                       jobs[j].job_key.substr(0, kShortKeyLength)};
    for (const auto& key : varying) {
      const auto found = flat[j].find(key);
      if (found == flat[j].end()) {
        row.emplace_back(nullptr);
      } else {
        // Table cells are scalars: a list of numbers is shown as its JSON text.
        row.push_back(found->second.is_array() ? nlohmann::json(found->second.dump())
                                               : found->second);
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string JobCountsByExperiment(const std::vector<JobSpec>& jobs) {
  std::vector<std::pair<std::string, size_t>> counts;
  for (const auto& job : jobs) {
    auto found = std::find_if(counts.begin(), counts.end(),
                              [&](const auto& count) { return count.first == job.experiment; });
    if (found == counts.end()) {
      counts.emplace_back(job.experiment, 1);
    } else {
      ++found->second;
    }
  }
  std::string text;
  for (const auto& [experiment, n] : counts) {
    text += (text.empty() ? "" : ", ") + experiment + ": " + std::to_string(n) +
            (n == 1 ? " job" : " jobs");
  }
  return text + "; " + std::to_string(jobs.size()) + " in all";
}

}  // namespace attnsweep
