#include "cli/job_table.h"

#include <algorithm>
#include <map>
#include <set>
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
  struct Counted {
    std::string experiment;
    size_t jobs = 0;
    std::set<std::string> groups;             // of its scheduler, if it has one
    const EarlyStopping* stopping = nullptr;  // the same for every job of the experiment
  };
  std::vector<Counted> counts;
  for (const auto& job : jobs) {
    auto found = std::find_if(counts.begin(), counts.end(), [&](const auto& count) {
      return count.experiment == job.experiment;
    });
    if (found == counts.end()) found = counts.insert(counts.end(), Counted{job.experiment});
    ++found->jobs;
    if (const auto& stopping = job.plan.early_stopping) {
      found->stopping = &*stopping;
      found->groups.insert(stopping->group);
    }
  }
  std::string text;
  for (const Counted& count : counts) {
    text += (text.empty() ? "" : ", ") + count.experiment + ": " + std::to_string(count.jobs) +
            (count.jobs == 1 ? " job" : " jobs");
    if (count.stopping != nullptr) {
      std::string epochs;
      for (int64_t e : count.stopping->DecisionEpochs()) {
        epochs += (epochs.empty() ? "" : ", ") + std::to_string(e);
      }
      text += " (" + count.stopping->RuleJson()["type"].get<std::string>() + " in " +
              std::to_string(count.groups.size()) +
              (count.groups.size() == 1 ? " group" : " groups") + ", judged after epoch" +
              (count.stopping->DecisionEpochs().size() == 1 ? " " : "s ") + epochs + " of " +
              std::to_string(count.stopping->rule.max_epochs) + ")";
    }
  }
  return text + "; " + std::to_string(jobs.size()) + " in all";
}

}  // namespace attnsweep
