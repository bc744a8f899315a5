// What the HTML report draws, computed from the store's jobs: one Plot per figure, each only when
// the jobs have its data. A plot's points are its cells — one per (series, x) — including the cells
// whose jobs failed (out of memory, say), which are marked, not dropped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/result_store.h"

namespace attnsweep {

struct PlotPoint {
  std::string series;  // the legend's label: the values of the keys that tell series apart
  double x = 0;
  double y = 0;        // a failed cell sits above the highest measured point
  nlohmann::json lo;   // error bar (null: none): min..max of a benchmark's repeats, or ±1 std
  nlohmann::json hi;   // over seeds
  int n = 0;           // jobs (seeds) with a value
  std::string status;  // "measured", or the failure kind in capitals ("OOM", "TIMEOUT", ...)
};

struct Plot {
  std::string id;  // unique in the page: the metric and, where needed, what it is plotted against
  std::string title;
  std::string caption;  // how to read it
  std::string x_title, y_title, series_title;
  bool log_x = true, log_y = true;
  bool dodge = false;  // draw series side by side at each x, so that their error bars show
  std::vector<PlotPoint> points;
};

// Every plot the jobs have data for, in reading order: forward and forward+backward time against
// length, peak memory against length, test AUC against length, approximation error against the
// variant's size (features, k, basis), training curves. `curves`: the jobs' per-epoch series.
std::vector<Plot> BuildPlots(const std::vector<JobRecord>& jobs,
                             const std::map<int64_t, std::vector<CurvePoint>>& curves);

}  // namespace attnsweep
