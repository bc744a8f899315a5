#include "cli/job_rows.h"

#include <map>
#include <set>

#include "cli/analysis/results_aggregate.h"
#include "experiments/job_progress_json.h"

namespace attnsweep {
namespace {

nlohmann::json OrNull(const std::string& text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(text);
}

nlohmann::json Seconds(const JobRecord& job) {
  return job.seconds >= 0 ? nlohmann::json(job.seconds) : nlohmann::json();
}

nlohmann::json Rank(const JobRecord& job) {
  return job.rank >= 0 ? nlohmann::json(job.rank) : nlohmann::json();
}

}  // namespace

std::string ProgressText(const std::string& progress) {
  const auto parsed = JobProgressFromText(progress);
  if (!parsed) return "";
  std::string text =
      "epoch " + std::to_string(parsed->epoch) + "/" + std::to_string(parsed->epochs);
  if (!parsed->metric.empty()) text += ", " + parsed->metric + " " + FormatNumber(parsed->value);
  return text;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  line.erase(line.find_last_not_of(" \t\r") + 1);
  return line;
}

Table ExportTable(const std::vector<JobRecord>& jobs) {
  std::vector<std::map<std::string, nlohmann::json>> configs;
  std::set<std::string> keys;
  std::set<std::string> metrics;
  for (const auto& job : jobs) {
    configs.push_back(FlattenConfig(nlohmann::json::parse(job.config)));
    for (const auto& [key, value] : configs.back()) keys.insert(key);
    for (const auto& [name, value] : job.metrics) metrics.insert(name);
  }
  Table table;
  table.columns = {"job_id",   "batch_id", "experiment", "status",  "error_kind",
                   "attempts", "rank",     "host",       "seconds", "reused_from"};
  for (const auto& key : keys) table.columns.push_back(key);
  for (const auto& name : metrics) {
    // A metric named like a config key or a job column would make two columns of one name.
    const bool clash =
        keys.count(name) || std::find(table.columns.begin(), table.columns.begin() + 10, name) !=
                                table.columns.begin() + 10;
    table.columns.push_back(clash ? "metric." + name : name);
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    const JobRecord& job = jobs[j];
    std::vector<nlohmann::json> row = {
        job.id,
        job.batch_id,
        job.experiment,
        job.status,
        OrNull(job.error_kind),
        job.attempts,
        Rank(job),
        OrNull(job.host),
        Seconds(job),
        job.reused_from > 0 ? nlohmann::json(job.reused_from) : nlohmann::json()};
    for (const auto& key : keys) {
      auto found = configs[j].find(key);
      row.push_back(found == configs[j].end() ? nlohmann::json() : found->second);
    }
    for (const auto& name : metrics) {
      auto found = job.metrics.find(name);
      row.push_back(found == job.metrics.end() ? nlohmann::json() : nlohmann::json(found->second));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table JobsTable(const std::vector<JobRecord>& jobs, const std::string& status,
                const std::vector<RungDecisionRecord>& decisions) {
  // Why each stopped job was stopped: its decision's evidence, without the "epoch k: " the
  // progress already says.
  std::map<int64_t, std::string> stop_reasons;
  for (const RungDecisionRecord& decision : decisions) {
    if (decision.go_on) continue;
    const size_t colon = decision.reason.find(": ");
    stop_reasons[decision.job_id] =
        colon == std::string::npos ? decision.reason : decision.reason.substr(colon + 2);
  }
  std::vector<std::string> keys = VaryingKeys(jobs);
  Table table;
  table.columns = {"job_id"};
  for (const auto& key : keys) table.columns.push_back(key);
  for (const char* column :
       {"status", "kind", "attempts", "rank", "host", "seconds", "progress", "error"}) {
    table.columns.push_back(column);
  }
  table.wrap_columns = {table.columns.size() - 2, table.columns.size() - 1};
  for (const auto& job : jobs) {
    if (!status.empty() && job.status != status) continue;
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> row = {job.id};
    for (const auto& key : keys) row.push_back(JobKeyValue(job, config, key));
    // A job an early-stopping decision ended (scheduler:) is done, stopped: it says where.
    const auto stopped = job.metrics.find("stopped_at_epoch");
    const bool was_stopped = stopped != job.metrics.end() && stopped->second > 0;
    const std::string kind = !job.error_kind.empty() ? job.error_kind
                             : was_stopped           ? "stopped"
                             : job.reused_from > 0   ? "reused"
                                                     : "";
    std::string progress = was_stopped ? "stopped at epoch " + FormatNumber(stopped->second)
                                       : ProgressText(job.progress);
    if (auto reason = stop_reasons.find(job.id); was_stopped && reason != stop_reasons.end()) {
      progress += " (" + reason->second + ")";
    }
    // A reused result ran in another batch: where and how long it ran is that run's, not this
    // batch's (`attnsweep jobs` of that batch shows it).
    if (job.reused_from > 0 && progress.empty()) {
      progress = "reused from batch " + std::to_string(job.reused_from_batch) + " (job " +
                 std::to_string(job.reused_from) + ")";
    }
    const bool ran_here = job.reused_from == 0;
    row.insert(
        row.end(),
        {job.status, OrNull(kind), job.attempts, ran_here ? Rank(job) : nlohmann::json(),
         ran_here ? OrNull(job.host) : nlohmann::json(), ran_here ? Seconds(job) : nlohmann::json(),
         OrNull(progress), OrNull(FirstLine(job.error))});
    table.rows.push_back(std::move(row));
  }
  return table;
}

Table RunningJobsTable(const std::vector<JobRecord>& jobs) {
  const std::vector<std::string> keys = VaryingKeys(jobs);
  Table table;
  table.columns = {"job_id"};
  table.columns.insert(table.columns.end(), keys.begin(), keys.end());
  for (const char* column : {"rank", "host", "progress", "running_s"}) {
    table.columns.push_back(column);
  }
  for (const auto& job : jobs) {
    if (job.status != "running") continue;
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> row = {job.id};
    for (const auto& key : keys) row.push_back(JobKeyValue(job, config, key));
    row.insert(row.end(), {Rank(job), OrNull(job.host), OrNull(ProgressText(job.progress)),
                           job.running_s >= 0 ? nlohmann::json(job.running_s) : nlohmann::json()});
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace attnsweep
