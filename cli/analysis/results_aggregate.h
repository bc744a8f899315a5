// `attnsweep results`: jobs grouped by config keys, each metric as mean, standard deviation and
// count over the group (the seeds, typically).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/output_format.h"
#include "experiments/config_keys.h"
#include "store/result_store.h"

namespace attnsweep {

struct ResultsQuery {
  // dotted config keys, "experiment" or "batch"; empty = the keys that vary
  std::vector<std::string> by;
  std::vector<std::string> metrics;  // empty = every metric the jobs have
};

struct MetricSummary {
  double mean = 0;
  double std = 0;  // sample standard deviation; 0 for a single value
  double min = 0, max = 0;
  int count = 0;
};

struct ResultGroup {
  std::vector<nlohmann::json> key_values;  // one per `by` key, null where a job lacks the key
  int done = 0;
  std::map<std::string, int> failures;  // error kind -> jobs
  std::map<std::string, MetricSummary> metrics;
  // Per metric without a value here: the kinds the group's failed jobs that would have measured it
  // failed with ("DIVERGED"), or "" when such a job is done or none failed. Only jobs of the tasks
  // that report the metric count (a benchmark column does not show a training failure); for a
  // metric no done job of the selection reports, every failed job does.
  std::map<std::string, std::string> why_missing;
  // Metrics whose cell is noisy: a job's timed pass stopped at its cap before its median's interval
  // was narrow enough (<metric>_noisy), or the jobs' intervals (<metric>_lo.._hi) do not all
  // overlap: the same measurement disagreed with itself beyond its noise.
  std::set<std::string> noisy;
};

struct ResultsTable {
  std::vector<std::string> by;
  std::vector<std::string> metrics;
  std::vector<ResultGroup> groups;  // in order of first appearance
  // Metrics whose jobs measured their own noise (benchmark times): they get a _noisy column for
  // machines and a mark for people.
  std::set<std::string> noise_measured;
};

// The mark a noisy cell carries for people, and what it means (printed under such a table).
constexpr const char* kNoisyMark = "*";
// "* noisy: ..." when a shown cell of `results` is noisy, else "".
std::string NoisyCellsNote(const ResultsTable& results);

// Config keys (dotted) whose value differs between jobs, seed aside, plus "batch" and "experiment"
// when there are several: the natural grouping of a batch. The variant comes first.
std::vector<std::string> VaryingKeys(const std::vector<JobRecord>& jobs);

// A job's value of a grouping key: "experiment", "batch" (its id), or a dotted config key (null
// where its config lacks it). `config` is the job's parsed config.
nlohmann::json JobKeyValue(const JobRecord& job, const nlohmann::json& config,
                           const std::string& key);

ResultsTable AggregateResults(const std::vector<JobRecord>& jobs, const ResultsQuery& query);

// As a printable table: "mean ± std" cells for people (table, markdown), separate mean, _std and
// count columns for machines (csv, json). A group with no done job shows its failure kind (OOM,
// ...).
Table ResultsToTable(const ResultsTable& results, OutputFormat format);

// One metric of a group as a cell: the mean for machines; "mean ± std" for people (the mean
// alone for one sample), marked when noisy; where no done job has it, the kinds the group's jobs
// failed with ("OOM"), else null.
nlohmann::json SummaryCell(const ResultGroup& group, const std::string& metric, bool for_people);

}  // namespace attnsweep
