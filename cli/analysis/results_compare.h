// `attnsweep results --compare KEY=VALUE`: every other group's figures against the baseline group
// (the jobs whose KEY is VALUE), each paired with the baseline's job of the same seed and of the
// same values of the other grouping keys, with a 95 % interval and a p-value:
// - test AUC (a task's scored_metric): paired over the same test customers by DeLong's test within
//   each seed, combined over the seeds (experiments/paired_auc.h), from the per-customer scores the
//   train task stores;
// - times, memory (positive figures: *_ms, *_s, seconds, *_mb): the ratio of the two, as the mean
//   of the seeds' log ratios; its variance the larger of what the jobs' own median intervals
//   (<metric>_lo/_hi) and the seeds' spread say;
// - any other figure: the mean paired difference over seeds, with Student's t interval.
// p-values are also given adjusted for the number of comparisons (Holm).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/output_format.h"
#include "experiments/paired_auc.h"
#include "store/result_store.h"

namespace attnsweep {

struct CompareBaseline {
  std::string key;       // a dotted config key, "experiment" or "batch"
  nlohmann::json value;  // a number where the text is one, else the text
  std::string text;      // as the user wrote it
};

// "model.attention=gru" -> {model.attention, "gru"}; nullopt, with `error` saying why, for text
// without '=' or with an empty side.
std::optional<CompareBaseline> ParseCompareBaseline(const std::string& text, std::string* error);

struct Comparison {
  std::vector<nlohmann::json> key_values;  // the row's grouping keys, the compared key among them
  std::string metric;
  std::string method;                  // "DeLong (paired customers)", "ratio", "paired difference"
  int pairs = 0;                       // seeds (jobs) paired with a baseline job
  double value = NAN, baseline = NAN;  // means over the paired jobs
  bool ratio = false;                  // effect is value / baseline, else value - baseline
  double effect = NAN, lo = NAN, hi = NAN;
  double p_value = NAN, p_holm = NAN;
  std::string note;  // why there is no effect, or what it rests on
};

// The per-customer test scores of a job (empty: it stored none).
using PredictionsOf = std::function<std::vector<ScoredExample>(int64_t job_id)>;

// The grouping keys of a comparison: `by` with the compared key first when it is not among them
// (the compared key is a grouping key by being named).
std::vector<std::string> ComparisonKeys(std::vector<std::string> by,
                                        const CompareBaseline& baseline);

// The per-example scores `store` holds, as CompareGroups reads them.
PredictionsOf StoredPredictions(ResultStore& store);

// Rows in order of the groups' first appearance, each of `metrics`. `by` includes baseline.key.
// `scored_metrics`: the figures the stored per-example scores give (the tasks' scored_metric,
// registry.h), compared paired over examples.
std::vector<Comparison> CompareGroups(const std::vector<JobRecord>& jobs,
                                      const std::vector<std::string>& by,
                                      const CompareBaseline& baseline,
                                      const std::vector<std::string>& metrics,
                                      const std::set<std::string>& scored_metrics,
                                      const PredictionsOf& predictions);

Table ComparisonsToTable(const std::vector<Comparison>& comparisons,
                         const std::vector<std::string>& by, OutputFormat format);

}  // namespace attnsweep
