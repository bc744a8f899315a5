// What the HTML report draws, computed from the store's jobs: one Plot per figure, each only when
// the jobs have its data. A plot's points are its cells — one per (series, x) — including the cells
// whose jobs failed (out of memory, say), which are marked, not dropped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/analysis/results_compare.h"
#include "store/result_store.h"

namespace attnsweep {

struct PlotPoint {
  std::string series;  // the legend's label: the values of the keys that tell series apart
  double x = 0;
  double y = 0;  // a failed cell sits above the highest measured point
  // The error bar (null: none). On a log axis: the lowest to the highest of the seeds' values, or
  // with one seed the 95 % interval of a benchmark's median (its repeats' fastest to slowest where
  // the job has no interval); on a linear axis ±1 standard deviation over seeds. Never <= 0 on a
  // log axis, which cannot show it (one such value blanked a whole chart).
  nlohmann::json lo;
  nlohmann::json hi;
  int n = 0;           // jobs (seeds) with a value
  std::string status;  // "measured", or the failure kind in capitals ("OOM", "TIMEOUT", ...)
  bool noisy = false;  // a measured cell whose timing is noisy (results_aggregate.h): drawn hollow
  // Set in a plot of one line per job (a search's curves), where a series holds many lines: the
  // line the point belongs to (its job), what its tooltip says of that job, and how it is drawn.
  std::string line;         // "": the series is the line
  std::string note;         // the job, its configuration, how it ended
  bool faded = false;       // a job the scheduler stopped early
  bool emphasised = false;  // a job of the configuration chosen for its group
};

struct Plot {
  std::string id;  // unique in the page: the metric and, where needed, what it is plotted against
  std::string title;
  std::string caption;  // how to read it
  std::string x_title, y_title, series_title;
  bool log_x = true, log_y = true;
  bool dodge = false;      // draw series side by side at each x, so that their error bars show
  bool zero_rule = false;  // a line at y = 0: no difference
  std::vector<PlotPoint> points;
};

// Every plot the jobs have data for, in reading order: forward and forward+backward time against
// length, peak memory against length, test AUC against length, approximation error against the
// variant's size (features, k, basis), training curves and, where a task's jobs searched (a
// scheduler judged them, or a group tried several configurations), every job's validation curve.
// `curves`: the jobs' per-epoch series.
std::vector<Plot> BuildPlots(const std::vector<JobRecord>& jobs,
                             const std::map<int64_t, std::vector<CurvePoint>>& curves);

// The differences in a task's scored metric (test_auc: DeLong over the same examples) against the
// baseline (results_compare.h) with their 95 % intervals, against sequence length; `by` holds
// data.max_len. No points: nothing could be compared.
Plot ComparisonPlot(const std::vector<Comparison>& comparisons, const std::vector<std::string>& by,
                    const std::string& metric, const std::string& baseline);

}  // namespace attnsweep
