#include "cli/cmd_results.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <CLI/CLI.hpp>

#include "cli/analysis/headline_metrics.h"
#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/results_best.h"
#include "cli/analysis/results_compare.h"
#include "cli/analysis/results_pivot.h"
#include "cli/analysis/results_slope.h"
#include "cli/common.h"
#include "cli/where_condition.h"
#include "experiments/base/exit_codes.h"
#include "experiments/config_schema.h"
#include "store/readonly_query.h"
#include "store/result_store.h"
#include "store/wide_view.h"

namespace attnsweep {

CLI::App* SetupResultsCommand(CLI::App& app, ResultsOptions* options) {
  CLI::App* results = app.add_subcommand(
      "results", "Metrics grouped by config keys: mean ± std and count over each group");
  AddBatchSelection(results, &options->batches, &options->all);
  AddDbOption(results, &options->db);
  // One value per --by/--metrics (comma-separated): a batch id after them is a batch, not a key.
  results
      ->add_option("--by", options->by,
                   "config keys to group by, comma-separated, e.g. model.attention,data.max_len "
                   "(also: experiment, batch; default: the keys that vary, seed aside)")
      ->delimiter(',')
      ->allow_extra_args(false);
  results
      ->add_option("--metrics", options->metrics,
                   "metrics to show, comma-separated, e.g. fwd_ms,peak_mb (default: the task's "
                   "headline figures; `seconds` is every job's wall time)")
      ->delimiter(',')
      ->allow_extra_args(false);
  results->add_option("--where", options->where,
                      "an SQL condition on the jobs, in config keys and metric names (the `wide` "
                      "view's columns), e.g. \"data.max_len >= 1024 AND best_val_auc > 0.8\"");
  results->add_option("--experiment", options->experiment, "only this experiment's jobs");
  CLI::Option* pivot = results->add_option(
      "--pivot", options->pivot,
      "one key's values as columns, e.g. --by model.attention --pivot data.max_len (batch: "
      "batches by name)");
  results->add_option("--slope", options->slope,
                      "fit each metric's growth against a numeric key on log-log axes, e.g. "
                      "--slope data.max_len (1: linear, 2: quadratic); with --pivot of the same "
                      "key, as the pivot table's last columns");
  results
      ->add_option("--compare", options->compare,
                   "KEY=VALUE: every other group against the jobs whose KEY is VALUE, paired by "
                   "seed, with 95 % intervals and p-values (test AUC: DeLong's test over the "
                   "same test customers; times and memory: ratios), e.g. --compare "
                   "model.attention=gru")
      ->excludes(pivot);
  results->add_flag("--best", options->best,
                    "in each --by group (e.g. --by model.attention), the configuration (the other "
                    "keys that vary, seeds aside) with the best mean validation figure, reported "
                    "with its test figure and 95 % interval, and the epochs the group spent");
  results->add_flag("--curves", options->curves,
                    "the per-epoch series (train_loss, val_auc) instead of final figures: one row "
                    "per group and epoch, mean ± std over seeds");
  AddFormatOption(results, &options->format);
  return results;
}

namespace {

bool KnownKey(const std::string& key) {
  return key == "experiment" || key == "batch" || key == "epoch" || FindParam(key) != nullptr;
}

// Each job with curves as one job per epoch: its config with `epoch` set, the curves' values at
// that epoch as its figures. Grouping them by the keys that vary and `epoch` gives the mean curve.
std::vector<JobRecord> JobsByEpoch(ResultStore& store, const std::vector<JobRecord>& jobs) {
  std::vector<int64_t> ids;
  for (const auto& job : jobs) ids.push_back(job.id);
  const auto curves = store.Curves(ids);
  std::vector<JobRecord> epochs;
  for (const auto& job : jobs) {
    auto found = curves.find(job.id);
    if (found == curves.end()) continue;
    std::map<int64_t, JobRecord> by_step;
    for (const CurvePoint& point : found->second) {
      auto [it, inserted] = by_step.emplace(point.step, job);
      if (inserted) {
        nlohmann::json config = nlohmann::json::parse(job.config);
        config["epoch"] = point.step;
        it->second.config = config.dump();
        it->second.metrics.clear();
        it->second.seconds = -1;
        it->second.status = "done";
      }
      it->second.metrics[point.name] = point.value;
    }
    for (auto& [step, record] : by_step) epochs.push_back(std::move(record));
  }
  return epochs;
}

int RefuseUnknownKey(const std::string& option, const std::string& key) {
  std::vector<std::string> names = {"experiment", "batch"};
  for (const auto& spec : ConfigSchema()) names.push_back(spec.key);
  const std::string close = ClosestName(key, names);
  PrintError(option + ": unknown key '" + key + "'" +
             (close.empty() ? "" : "; did you mean '" + close + "'?") +
             " (`attnsweep keys` lists every key)");
  return kExitBadInput;
}

// When --by leaves out keys that vary, the table's means are over them too: say so.
void NoteAveragedKeys(const std::vector<JobRecord>& jobs, const std::vector<std::string>& by) {
  std::vector<std::string> left_out;
  for (const auto& key : VaryingKeys(jobs)) {
    if (std::find(by.begin(), by.end(), key) == by.end()) left_out.push_back(key);
  }
  if (left_out.empty()) return;
  PrintNote("each row averages over " + JoinNames(left_out) +
            " as well as seed (they vary and are not in --by)");
}

// The comparison table of --compare: the compared key joins the grouping keys.
int PrintComparisons(ResultStore& store, const std::vector<JobRecord>& jobs, ResultsQuery query,
                     const CompareBaseline& baseline, const std::string& format) {
  query.by = ComparisonKeys(query.by.empty() ? VaryingKeys(jobs) : query.by, baseline);
  const bool any_baseline = std::any_of(jobs.begin(), jobs.end(), [&](const JobRecord& job) {
    return job.status == "done" &&
           JobKeyValue(job, nlohmann::json::parse(job.config), baseline.key) == baseline.value;
  });
  if (!any_baseline) {
    PrintError("--compare " + baseline.key + "=" + baseline.text +
               ": no done job in this selection has that value; `attnsweep results --by " +
               baseline.key + "` lists the values there are");
    return kExitBadInput;
  }
  const auto rows = CompareGroups(jobs, query.by, baseline, query.metrics, ScoredMetrics(),
                                  StoredPredictions(store));
  PrintTable(ComparisonsToTable(rows, query.by, ParseOutputFormat(format)), format);
  PrintNote(
      "against " + baseline.key + "=" + baseline.text +
      ", paired by seed; 95 % intervals; p (Holm) is adjusted for the " +
      std::to_string(std::count_if(rows.begin(), rows.end(),
                                   [](const Comparison& c) { return !std::isnan(c.p_value); })) +
      " tests shown. A difference whose interval holds 0 (a ratio's, 1) is not shown to be "
      "real; docs/results.md says what else may and may not be concluded");
  return kExitOk;
}

// Batch ids as `--pivot batch` heads them: by name, with the id after a name two of them share.
std::map<std::string, std::string> BatchHeads(ResultStore& store,
                                              const std::vector<JobRecord>& jobs) {
  std::set<int64_t> shown;
  for (const auto& job : jobs) shown.insert(job.batch_id);
  std::map<std::string, int> uses;
  std::map<int64_t, std::string> names;
  for (const int64_t id : shown) {
    const auto batch = store.FindBatch(id);
    names[id] = batch ? batch->name : std::to_string(id);
    ++uses[names[id]];
  }
  std::map<std::string, std::string> heads;
  for (const auto& [id, name] : names) {
    heads[std::to_string(id)] = uses[name] > 1 ? name + " (" + std::to_string(id) + ")" : name;
  }
  return heads;
}

// The table of --best, and what it rests on.
int PrintBest(const std::vector<JobRecord>& jobs, const std::vector<std::string>& by,
              const std::string& format) {
  std::string error;
  const auto tuned = TunedKeys(jobs, by);
  const auto best = ChooseBest(jobs, by, tuned, &error);
  if (!error.empty()) {
    PrintError(error);
    return kExitBadInput;
  }
  PrintTable(BestToTable(best, by, tuned, ParseOutputFormat(format)), format);
  if (!best.empty()) {
    PrintNote("chosen on " + best.front().validation_metric + " (mean over seeds) among " +
              (tuned.empty() ? std::string("the one configuration") : JoinNames(tuned)) +
              ", reported on " + best.front().test_metric +
              "; epochs spent: run, of those the group's jobs were given");
    int left_out = 0;
    for (const BestConfiguration& row : best) left_out += row.left_out;
    if (left_out > 0) {
      PrintNote(std::to_string(left_out) + " configuration" + (left_out == 1 ? "" : "s") +
                " with a failed seed (`attnsweep jobs --status failed`) left out of the choice: "
                "the mean of the seeds that survived would flatter " +
                (left_out == 1 ? "it" : "them"));
    }
  }
  return kExitOk;
}

}  // namespace

int RunResultsCommand(const ResultsOptions& options) {
  for (const auto& key : options.by) {
    if (!KnownKey(key)) return RefuseUnknownKey("--by", key);
  }
  std::optional<CompareBaseline> baseline;
  if (!options.compare.empty()) {
    std::string error;
    baseline = ParseCompareBaseline(options.compare, &error);
    if (!baseline) {
      PrintError(error);
      return kExitBadInput;
    }
    if (!KnownKey(baseline->key)) return RefuseUnknownKey("--compare", baseline->key);
    if (options.curves || !options.slope.empty()) {
      PrintError("--compare compares final figures: leave out --curves and --slope");
      return kExitBadInput;
    }
  }
  if (options.best) {
    if (options.by.empty()) {
      PrintError(
          "--best chooses a configuration in each group: say the groups with --by, e.g. "
          "--best --by model.attention");
      return kExitBadInput;
    }
    if (options.curves || baseline || !options.slope.empty() || !options.pivot.empty() ||
        !options.metrics.empty()) {
      PrintError(
          "--best prints its own table: leave out --curves, --compare, --slope, --pivot "
          "and --metrics");
      return kExitBadInput;
    }
  }
  const std::string& spread_key = options.pivot.empty() ? options.slope : options.pivot;
  const std::string spread_option = options.pivot.empty() ? "--slope" : "--pivot";
  if (!spread_key.empty() && !KnownKey(spread_key))
    return RefuseUnknownKey(spread_option, spread_key);
  if (!options.pivot.empty() && !options.slope.empty() && options.pivot != options.slope) {
    PrintError("--pivot " + options.pivot + " --slope " + options.slope +
               ": together they name one key (the slope is a last column of the pivot table), "
               "e.g. --pivot " +
               options.pivot + " --slope " + options.pivot);
    return kExitBadInput;
  }
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const auto batch_ids =
      SelectBatches(store, options.batches, options.all, options.db, options.where);
  if (!batch_ids) return kExitBadInput;

  std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_ids);
  if (!options.where.empty()) {
    const auto condition = WhereOverWideView(CreateWideView(store.db()), options.where);
    if (!condition) return kExitBadInput;
    const auto ids = store.JobIdsWhere(*batch_ids, *condition);
    const std::set<int64_t> keep(ids.begin(), ids.end());
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const JobRecord& j) { return keep.count(j.id) == 0; }),
               jobs.end());
    if (jobs.empty() && batch_ids->size() == 1 && options.batches.empty()) {
      PrintNote("no job of batch " + std::to_string(batch_ids->front()) +
                " (the newest) matches --where; pass batch ids or --all to look in others");
    }
  }
  if (!options.experiment.empty()) {
    jobs.erase(
        std::remove_if(jobs.begin(), jobs.end(),
                       [&](const JobRecord& j) { return j.experiment != options.experiment; }),
        jobs.end());
  }
  if (options.best) return PrintBest(jobs, options.by, options.format);
  if (options.curves) {
    jobs = JobsByEpoch(store, jobs);
    if (jobs.empty()) {
      PrintNote("no curves: only train jobs record them, once an epoch has finished");
      return kExitOk;
    }
  }
  const std::set<std::string> available = AvailableMetrics(jobs);
  for (const auto& metric : options.metrics) {
    // A name no job has is a typo, unless no job has figures yet (all failed, say): `seconds` (wall
    // time) alone does not count.
    const bool any_figures = available.size() > available.count("seconds");
    if (any_figures && available.count(metric) == 0) {
      std::string known;
      for (const auto& name : available) known += (known.empty() ? "" : ", ") + name;
      PrintError("--metrics: no job in this selection has '" + metric + "' (they have: " + known +
                 ")");
      return kExitBadInput;
    }
  }
  ResultsQuery query{options.by, options.metrics};
  if (query.metrics.empty()) {
    query.metrics = options.curves ? std::vector<std::string>(available.begin(), available.end())
                                   : HeadlineMetrics(jobs, available);
  }
  if (options.curves && query.by.empty()) {
    query.by = VaryingKeys(jobs);
    // Epoch last: a group's curve reads down the rows.
    query.by.erase(std::remove(query.by.begin(), query.by.end(), "epoch"), query.by.end());
    query.by.push_back("epoch");
  }
  if (baseline) return PrintComparisons(store, jobs, query, *baseline, options.format);
  // The key spread over columns (or fitted against) is a grouping key by being named, as in
  // pandas' pivot_table(index=..., columns=...).
  if (!spread_key.empty() &&
      std::find(query.by.begin(), query.by.end(), spread_key) == query.by.end()) {
    if (query.by.empty()) {
      query.by = VaryingKeys(jobs);
      if (std::find(query.by.begin(), query.by.end(), spread_key) == query.by.end())
        query.by.push_back(spread_key);
    } else {
      query.by.push_back(spread_key);
    }
  }
  if (!query.by.empty()) NoteAveragedKeys(jobs, query.by);
  const auto format = ParseOutputFormat(options.format);
  const ResultsTable results = AggregateResults(jobs, query);
  if (!options.pivot.empty() && !options.slope.empty()) {
    PrintTable(PivotWithSlopes(results, options.pivot, format), options.format);
  } else if (!options.pivot.empty()) {
    PrintTable(PivotResults(results, options.pivot, format,
                            options.pivot == "batch" ? BatchHeads(store, jobs)
                                                     : std::map<std::string, std::string>{}),
               options.format);
  } else if (!options.slope.empty()) {
    PrintTable(SlopeTable(results, options.slope), options.format);
  } else {
    PrintTable(ResultsToTable(results, format), options.format);
  }
  // Under the table (stderr, so that a csv or json on stdout stays clean).
  if (options.slope.empty() || !options.pivot.empty()) {
    if (const std::string note = NoisyCellsNote(results); !note.empty()) PrintNote(note);
  }
  return kExitOk;
}

}  // namespace attnsweep
