#include "cli/cmd_results.h"

#include <algorithm>
#include <set>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/results_aggregate.h"
#include "experiments/config_schema.h"
#include "store/readonly_query.h"
#include "store/result_store.h"
#include "workers/exit_codes.h"

namespace attnsweep {

CLI::App* SetupResultsCommand(CLI::App& app, ResultsOptions* options) {
  CLI::App* results = app.add_subcommand(
      "results", "Metrics grouped by config keys: mean ± std and count over each group");
  results->add_option("batch", options->batch, "a batch id or name (default: the newest batch)");
  AddDbOption(results, &options->db);
  results
      ->add_option("--by", options->by,
                   "config keys to group by, comma-separated, e.g. model.attention,data.max_len "
                   "(default: the keys that vary, seed aside)")
      ->delimiter(',');
  results
      ->add_option("--metrics", options->metrics,
                   "metrics to show, comma-separated, e.g. fwd_ms,peak_mb (default: all)")
      ->delimiter(',');
  results->add_option("--where", options->where,
                      "an SQL condition on the `results` view's columns, e.g. \"max_len >= 1024\"");
  results->add_option("--experiment", options->experiment, "only this experiment's jobs");
  AddFormatOption(results, &options->format);
  return results;
}

int RunResultsCommand(const ResultsOptions& options) {
  for (const auto& key : options.by) {
    if (key != "experiment" && FindParam(key) == nullptr) {
      std::vector<std::string> names = {"experiment"};
      for (const auto& spec : ConfigSchema()) names.push_back(spec.key);
      std::string close = ClosestName(key, names);
      PrintError("--by: unknown key '" + key + "'" +
                 (close.empty() ? "" : "; did you mean '" + close + "'?") +
                 " (`attnsweep keys` lists every key)");
      return kExitBadInput;
    }
  }
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  auto batch_id = ResolveBatch(store, options.batch, options.db);
  if (!batch_id) return kExitBadInput;

  std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_id);
  if (!options.where.empty()) {
    const auto ids = store.JobIdsWhere(*batch_id, options.where);
    const std::set<int64_t> keep(ids.begin(), ids.end());
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const JobRecord& j) { return keep.count(j.id) == 0; }),
               jobs.end());
  }
  if (!options.experiment.empty()) {
    jobs.erase(
        std::remove_if(jobs.begin(), jobs.end(),
                       [&](const JobRecord& j) { return j.experiment != options.experiment; }),
        jobs.end());
  }
  std::set<std::string> available;
  for (const auto& job : jobs) {
    for (const auto& [name, value] : job.metrics) available.insert(name);
  }
  for (const auto& metric : options.metrics) {
    if (!available.empty() && available.count(metric) == 0) {
      std::string known;
      for (const auto& name : available) known += (known.empty() ? "" : ", ") + name;
      PrintError("--metrics: no job in this selection has '" + metric + "' (they have: " + known +
                 ")");
      return kExitBadInput;
    }
  }
  ResultsQuery query{options.by, options.metrics};
  const auto format = ParseOutputFormat(options.format);
  PrintTable(ResultsToTable(AggregateResults(jobs, query), format), options.format);
  return kExitOk;
}

}  // namespace attnsweep
