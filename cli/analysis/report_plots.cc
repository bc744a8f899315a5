#include "cli/analysis/report_plots.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "cli/analysis/headline_metrics.h"
#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/results_best.h"
#include "cli/analysis/results_slope.h"
#include "cli/analysis/sample_statistics.h"
#include "cli/output_format.h"
#include "experiments/job_plan.h"
#include "experiments/registry.h"

namespace attnsweep {
namespace {

constexpr const char* kLength = "data.max_len";
// The figure of a job a scheduler stopped: the epoch it stopped at (experiments/job_contract.h).
constexpr const char* kStoppedAt = "stopped_at_epoch";

std::vector<JobRecord> OfTask(const std::vector<JobRecord>& jobs, const std::string& task,
                              const std::string& attention = "") {
  std::vector<JobRecord> chosen;
  for (const auto& job : jobs) {
    if (TaskOf(job) != task) continue;
    if (!attention.empty() &&
        ConfigValue(nlohmann::json::parse(job.config), "model.attention") != attention)
      continue;
    chosen.push_back(job);
  }
  return chosen;
}

// The keys that tell a plot's series apart: those that vary, but for its x axis and for keys that
// follow from the others and x (the experiment of a grid split in two, the ∞-former's segment
// zipped with the length): a series is one line across x, not one point per line.
std::vector<std::string> SeriesKeys(const std::vector<JobRecord>& jobs, const std::string& x_key) {
  std::vector<std::string> keys;
  for (const auto& key : VaryingKeys(jobs)) {
    if (key != x_key) keys.push_back(key);
  }
  std::vector<nlohmann::json> configs;
  for (const auto& job : jobs) configs.push_back(nlohmann::json::parse(job.config));
  for (size_t k = keys.size(); k-- > 0;) {
    if (keys[k] == "model.attention") continue;
    std::map<std::string, std::set<std::string>> values;  // (other keys, x) -> values of keys[k]
    for (size_t j = 0; j < jobs.size(); ++j) {
      nlohmann::json place = nlohmann::json::array();
      for (size_t o = 0; o < keys.size(); ++o) {
        if (o != k) place.push_back(JobKeyValue(jobs[j], configs[j], keys[o]));
      }
      if (!x_key.empty()) place.push_back(JobKeyValue(jobs[j], configs[j], x_key));
      values[place.dump()].insert(JobKeyValue(jobs[j], configs[j], keys[k]).dump());
    }
    const bool follows = std::all_of(values.begin(), values.end(),
                                     [](const auto& v) { return v.second.size() == 1; });
    if (follows) keys.erase(keys.begin() + k);
  }
  return keys;
}

std::string ShortKey(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

std::string ValueText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return FormatNumber(value.get<double>());
  return value.dump();
}

// "performer, features=64, kernel=trig": the variant bare, other keys by their last part.
std::string SeriesLabel(const std::vector<std::string>& keys,
                        const std::vector<nlohmann::json>& values) {
  std::string label;
  for (size_t k = 0; k < keys.size(); ++k) {
    if (values[k].is_null()) continue;
    const bool bare = keys[k] == "model.attention" || keys[k] == "experiment";
    label += (label.empty() ? "" : ", ") +
             (bare ? ValueText(values[k]) : ShortKey(keys[k]) + "=" + ValueText(values[k]));
  }
  return label.empty() ? "all jobs" : label;
}

std::string SeriesTitle(const std::vector<std::string>& keys) {
  std::string title;
  for (const auto& key : keys) title += (title.empty() ? "" : ", ") + key;
  return title.empty() ? "series" : title;
}

// One point per (series, x) group of `jobs`, from the same aggregation `results` prints.
Plot CellPlot(const std::vector<JobRecord>& jobs, const std::string& x_key,
              const TaskLengthPlot& spec) {
  Plot plot;
  plot.id = spec.metric + (x_key == kLength ? "" : "-" + ShortKey(x_key));
  plot.title = spec.title;
  plot.x_title = spec.x_title;
  plot.y_title = spec.y_title;
  plot.caption = spec.caption;
  plot.log_y = spec.log_y;
  plot.dodge = spec.dodge;
  const std::vector<std::string> series_keys = SeriesKeys(jobs, x_key);
  plot.series_title = SeriesTitle(series_keys);
  ResultsQuery query{series_keys,
                     {spec.metric, spec.metric + "_min", spec.metric + "_max", spec.metric + "_lo",
                      spec.metric + "_hi"}};
  query.by.push_back(x_key);
  const ResultsTable results = AggregateResults(jobs, query);
  std::map<std::string, std::optional<double>> slopes;  // label -> slope
  if (spec.slope) {
    ResultsTable only_metric = results;
    only_metric.metrics = {spec.metric};
    for (const SlopeRow& row : FitSlopes(only_metric, x_key)) {
      slopes[SeriesLabel(series_keys, row.others)] = row.slopes.at(spec.metric);
    }
  }
  double highest = 0, lowest = INFINITY;
  std::vector<size_t> failed;  // indices of points to place once the measured range is known
  for (const ResultGroup& group : results.groups) {
    const nlohmann::json& x = group.key_values.back();
    if (!x.is_number()) continue;
    std::vector<nlohmann::json> series_values(group.key_values.begin(), group.key_values.end() - 1);
    PlotPoint point;
    point.series = SeriesLabel(series_keys, series_values);
    if (spec.slope) {
      const auto& slope = slopes[point.series];
      point.series +=
          slope ? " (slope " + FormatNumber(std::round(*slope * 100) / 100) + ")" : " (no fit)";
    }
    point.x = x.get<double>();
    const nlohmann::json cell = SummaryCell(group, spec.metric, /*for_people=*/false);
    if (cell.is_number()) {
      const MetricSummary& s = group.metrics.at(spec.metric);
      point.y = s.mean;
      point.n = s.count;
      point.status = "measured";
      point.noisy = group.noisy.count(spec.metric) > 0;
      auto one_job_bar = [&](const char* lo, const char* hi) {
        if (!group.metrics.count(spec.metric + lo) || !group.metrics.count(spec.metric + hi))
          return false;
        point.lo = group.metrics.at(spec.metric + lo).mean;
        point.hi = group.metrics.at(spec.metric + hi).mean;
        return true;
      };
      if (s.count > 1 && plot.log_y) {
        point.lo = s.min;  // a log axis has no room for mean - std, which can fall below zero
        point.hi = s.max;
      } else if (s.count > 1) {
        point.lo = s.mean - s.std;
        point.hi = s.mean + s.std;
      } else if (spec.one_seed_bar) {
        if (!one_job_bar("_lo", "_hi")) one_job_bar("_min", "_max");
      }
      if (!plot.log_y || point.y > 0) {
        highest = std::max(highest, point.hi.is_number() ? point.hi.get<double>() : point.y);
        lowest = std::min(lowest, point.y);
      }
    } else if (cell.is_string()) {
      point.status = cell.get<std::string>();
      failed.push_back(plot.points.size());
    } else {
      continue;  // not this plot's kind of job
    }
    plot.points.push_back(std::move(point));
  }
  if (highest == 0 && failed.size() == plot.points.size()) highest = 1;
  for (size_t i : failed) plot.points[i].y = plot.log_y ? highest * 1.6 : highest * 1.05;
  // A log axis cannot show zero: such a measurement sits at the bottom, marked.
  for (auto& point : plot.points) {
    if (plot.log_y && point.status == "measured" && point.y <= 0) {
      point.y = std::isfinite(lowest) ? lowest / 2 : 1;
      point.status = "zero";
    }
  }
  return plot;
}

bool HasMetric(const std::vector<JobRecord>& jobs, const std::string& metric) {
  return std::any_of(jobs.begin(), jobs.end(), [&](const JobRecord& job) {
    return job.metrics.count(metric) || (job.status == "failed" && !job.error_kind.empty());
  });
}

bool AnyMeasured(const Plot& plot) {
  return std::any_of(plot.points.begin(), plot.points.end(),
                     [](const PlotPoint& p) { return p.status == "measured"; });
}

// Each task's figures against sequence length (TaskDefinition::length_plots).
void AddLengthPlots(const std::vector<JobRecord>& all, std::vector<Plot>* plots) {
  for (const TaskDefinition& task : Tasks()) {
    const std::vector<JobRecord> jobs = OfTask(all, task.name);
    if (jobs.empty()) continue;
    for (const TaskLengthPlot& spec : task.length_plots) {
      if (!HasMetric(jobs, spec.metric)) continue;
      Plot plot = CellPlot(jobs, kLength, spec);
      if (AnyMeasured(plot)) plots->push_back(std::move(plot));
    }
  }
}

// Each variant's approximation figure against its size key (VariantDefinition::size_key), where
// the task's jobs of that variant vary it.
void AddApproximationPlots(const std::vector<JobRecord>& all, const TaskDefinition& task,
                           std::vector<Plot>* plots) {
  for (const VariantDefinition& variant : Variants()) {
    if (variant.size_key.empty()) continue;
    const std::vector<JobRecord> jobs = OfTask(all, task.name, variant.name);
    std::set<std::string> values;
    for (const auto& job : jobs)
      values.insert(ConfigValue(nlohmann::json::parse(job.config), variant.size_key).dump());
    const std::string& metric = variant.size_metric;
    if (values.size() < 2 || !HasMetric(jobs, metric)) continue;
    const bool attention_error = metric == "rel_error";
    const TaskLengthPlot spec{
        metric,
        "Approximation error of " + variant.name + " against " + variant.size_title,
        variant.size_title,
        attention_error ? "relative error of the attention output"
                        : "relative reconstruction error",
        attention_error ? "‖approximate − exact‖ / ‖exact‖ of the attention output on the same "
                          "inputs, mean over draws (and over seeds, a bar spanning the seeds' "
                          "lowest to highest); log-log, fitted slope in the legend."
                        : "How well the continuous memory reconstructs what it read, mean over "
                          "seeds (a bar spans their lowest to highest); log-log.",
        /*log_y=*/true,
        /*slope=*/true,
        /*one_seed_bar=*/false};
    Plot plot = CellPlot(jobs, variant.size_key, spec);
    if (AnyMeasured(plot)) plots->push_back(std::move(plot));
  }
}

// A task's per-epoch curves, one plot each. Plot ids: the curve's name for the first registered
// task that declares curves (train), "<task>-<name>" for the others.
void AddCurvePlots(const std::vector<JobRecord>& all,
                   const std::map<int64_t, std::vector<CurvePoint>>& curves,
                   const TaskDefinition& task, bool bare_ids, std::vector<Plot>* plots) {
  const std::vector<JobRecord> jobs = OfTask(all, task.name);
  const std::vector<std::string> keys = SeriesKeys(jobs, "");
  for (const auto& [name, title, y_title] : task.curve_plots) {
    std::vector<std::pair<std::string, int64_t>> order;  // (label, epoch) as first seen
    std::map<std::pair<std::string, int64_t>, std::vector<double>> cells;
    for (const auto& job : jobs) {
      auto found = curves.find(job.id);
      if (found == curves.end()) continue;
      const nlohmann::json config = nlohmann::json::parse(job.config);
      std::vector<nlohmann::json> values;
      for (const auto& key : keys) values.push_back(JobKeyValue(job, config, key));
      const std::string label = SeriesLabel(keys, values);
      for (const CurvePoint& p : found->second) {
        if (p.name != name) continue;
        auto& cell = cells[{label, p.step}];
        if (cell.empty()) order.push_back({label, p.step});
        cell.push_back(p.value);
      }
    }
    if (cells.empty()) continue;
    Plot plot;
    plot.id = bare_ids ? name : task.name + "-" + name;
    plot.title = title;
    plot.x_title = "epoch";
    plot.y_title = y_title;
    plot.series_title = SeriesTitle(keys);
    plot.log_x = false;
    plot.log_y = false;
    plot.caption = "Mean over seeds at each epoch; bars are ±1 standard deviation over seeds.";
    plot.dodge = true;
    for (const auto& place : order) {
      const auto& values = cells[place];
      PlotPoint point;
      point.series = place.first;
      point.x = static_cast<double>(place.second);
      point.y = Mean(values);
      point.n = static_cast<int>(values.size());
      point.status = "measured";
      if (values.size() > 1) {
        const double std = std::sqrt(SampleVariance(values));
        point.lo = point.y - std;
        point.hi = point.y + std;
      }
      plot.points.push_back(std::move(point));
    }
    plots->push_back(std::move(plot));
  }
}

// The keys whose values make a search's groups, as `results --best --by` takes them: each batch and
// experiment is a study of its own; within one, the groups its scheduler judged jobs within (its
// `per` keys; none: the experiment is the group), or without a scheduler each variant at each
// length (a length is a condition the configurations are compared under, as in the length plots,
// not one of them).
std::vector<std::string> SearchGroupKeys(
    const std::vector<JobRecord>& jobs, const std::vector<std::optional<EarlyStopping>>& stopping) {
  const std::vector<std::string> varying = VaryingKeys(jobs);
  auto varies = [&](const std::string& key) {
    return std::find(varying.begin(), varying.end(), key) != varying.end();
  };
  std::vector<std::string> by;
  auto add = [&by](const std::string& key) {
    if (std::find(by.begin(), by.end(), key) == by.end()) by.push_back(key);
  };
  for (const char* key : {"batch", "experiment"}) {
    if (varies(key)) add(key);
  }
  bool scheduled = false;
  for (const auto& job_stopping : stopping) {
    if (!job_stopping) continue;
    scheduled = true;
    for (const auto& key : job_stopping->per) add(key);
  }
  if (!scheduled) {
    add("model.attention");
    if (varies(kLength)) add(kLength);
  }
  if (by.empty()) by.push_back("experiment");
  return by;
}

std::string JoinedKeys(const std::vector<std::string>& keys) {
  std::string joined;
  for (const auto& key : keys) joined += (joined.empty() ? "" : ",") + key;
  return joined;
}

// "stopped at epoch 3", "ran all 9 epochs", or "ran 5 of 9 epochs" (its own patience ended it).
std::string HowItEnded(const JobRecord& job, const nlohmann::json& config,
                       const std::optional<EarlyStopping>& stopping, const TaskSelection& selection,
                       int64_t last_epoch) {
  if (auto stopped = job.metrics.find(kStoppedAt); stopped != job.metrics.end()) {
    return "stopped at epoch " + FormatNumber(stopped->second);
  }
  const auto spent = job.metrics.find(selection.spent_metric);
  const double ran = spent != job.metrics.end() ? spent->second : static_cast<double>(last_epoch);
  const nlohmann::json given = JobKeyValue(job, config, selection.budget_key);
  const double budget = stopping            ? static_cast<double>(stopping->rule.max_epochs)
                        : given.is_number() ? given.get<double>()
                                            : ran;
  if (ran < budget) return "ran " + FormatNumber(ran) + " of " + FormatNumber(budget) + " epochs";
  return "ran all " + FormatNumber(budget) + " epochs";
}

// A search's per-epoch validation figure (TaskSelection::epoch_metric), one line per job, coloured
// by group; drawn where the task's jobs searched: a scheduler judged them, or a group tried more
// than one configuration. The jobs the scheduler stopped are faded and each group's configuration
// that `results --best` chooses is thick, so that a reader sees where the search spent its epochs
// and where the chosen configuration stands among the others.
void AddSearchPlot(const std::vector<JobRecord>& all,
                   const std::map<int64_t, std::vector<CurvePoint>>& curves,
                   const TaskDefinition& task, std::vector<Plot>* plots) {
  const TaskSelection& selection = task.selection;
  if (selection.epoch_metric.empty()) return;
  const std::vector<JobRecord> jobs = OfTask(all, task.name);
  std::vector<std::optional<EarlyStopping>> stopping;  // per job: its scheduler's rule, if any
  for (const auto& job : jobs) {
    const std::optional<JobPlan> plan = JobPlan::FromJson(job.plan);
    stopping.push_back(plan ? plan->early_stopping : std::nullopt);
  }
  const std::vector<std::string> by = SearchGroupKeys(jobs, stopping);
  const std::vector<std::string> tuned = TunedKeys(jobs, by);
  std::string no_choice;  // no job with a validation figure: the lines are drawn, none chosen
  const std::vector<BestConfiguration> best = ChooseBest(jobs, by, tuned, &no_choice);
  const bool scheduled =
      std::any_of(stopping.begin(), stopping.end(),
                  [](const auto& job_stopping) { return job_stopping.has_value(); });
  const bool several = std::any_of(best.begin(), best.end(), [](const BestConfiguration& row) {
    return row.configurations > 1;
  });
  if (!scheduled && !several) return;
  std::map<std::string, const BestConfiguration*> choice_of;  // group values (JSON) -> its choice
  for (const BestConfiguration& row : best) {
    if (row.seeds > 0) choice_of[nlohmann::json(row.group).dump()] = &row;
  }
  std::vector<std::string> described = tuned;  // what the tooltip says of a job's configuration
  described.push_back("seed");
  Plot plot;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const JobRecord& job = jobs[j];
    const auto found = curves.find(job.id);
    if (found == curves.end()) continue;
    std::vector<const CurvePoint*> curve;
    for (const CurvePoint& p : found->second) {
      if (p.name == selection.epoch_metric) curve.push_back(&p);
    }
    if (curve.empty()) continue;
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> group;
    for (const auto& key : by) group.push_back(JobKeyValue(job, config, key));
    std::map<std::string, nlohmann::json> configuration;
    std::vector<nlohmann::json> described_values;
    for (const auto& key : described) {
      described_values.push_back(JobKeyValue(job, config, key));
      if (key != "seed") configuration[key] = described_values.back();
    }
    const auto choice = choice_of.find(nlohmann::json(group).dump());
    const bool chosen = choice != choice_of.end() && choice->second->configuration == configuration;
    std::string note = "job " + std::to_string(job.id) + ": " +
                       SeriesLabel(described, described_values) + "; " +
                       HowItEnded(job, config, stopping[j], selection, curve.back()->step);
    if (chosen) {
      note += "; chosen on validation (mean " + selection.validation_metric + " " +
              FormatNumber(choice->second->validation) + " over " +
              std::to_string(choice->second->seeds) + " seeds)";
    }
    const std::string series = SeriesLabel(by, group);
    for (const CurvePoint* p : curve) {
      PlotPoint point;
      point.series = series;
      point.x = static_cast<double>(p->step);
      point.y = p->value;
      point.n = 1;
      point.status = "measured";
      point.line = std::to_string(job.id);
      point.note = note;
      point.faded = job.metrics.count(kStoppedAt) > 0;
      point.emphasised = chosen;
      plot.points.push_back(std::move(point));
    }
  }
  if (plot.points.empty()) return;
  std::string y_title = selection.epoch_metric;
  for (const TaskCurvePlot& curve : task.curve_plots) {
    if (curve.name == selection.epoch_metric) y_title = curve.y_title;
  }
  plot.id = "search-" + task.name;
  plot.title = "The search: every " + task.name + " job's " + y_title + " per epoch";
  plot.x_title = "epoch";
  plot.y_title = y_title;
  plot.series_title = SeriesTitle(by);
  plot.log_x = false;
  plot.log_y = false;
  plot.caption =
      "One line per job (seeds apart): its " + selection.epoch_metric +
      " after each epoch it ran, coloured by the group its configurations were compared in. "
      "Faded: a job the scheduler stopped at a rung (its tooltip says at which epoch). Thick: the "
      "jobs of the configuration chosen for its group on validation, the best mean " +
      selection.validation_metric + " over its seeds, whose " + selection.test_metric +
      " `attnsweep results --best --by " + JoinedKeys(by) + "` reports with its 95 % interval.";
  plots->push_back(std::move(plot));
}

}  // namespace

Plot ComparisonPlot(const std::vector<Comparison>& comparisons, const std::vector<std::string>& by,
                    const std::string& metric, const std::string& baseline) {
  Plot plot;
  plot.id = "compare-" + metric;
  plot.title = metric + " against " + baseline + ", paired by seed";
  plot.x_title = "sequence length (events per customer)";
  plot.y_title = "difference in " + metric + " (95 % interval)";
  plot.log_y = false;
  plot.dodge = true;
  plot.zero_rule = true;
  std::vector<std::string> series_keys;
  size_t length_column = by.size();
  for (size_t k = 0; k < by.size(); ++k) {
    if (by[k] == kLength) {
      length_column = k;
    } else {
      series_keys.push_back(by[k]);
    }
  }
  plot.series_title = SeriesTitle(series_keys);
  for (const Comparison& c : comparisons) {
    if (c.metric != metric || std::isnan(c.effect) || c.ratio || length_column == by.size())
      continue;
    const nlohmann::json& x = c.key_values[length_column];
    if (!x.is_number()) continue;
    std::vector<nlohmann::json> series_values;
    for (size_t k = 0; k < by.size(); ++k) {
      if (k != length_column) series_values.push_back(c.key_values[k]);
    }
    PlotPoint point;
    point.series = SeriesLabel(series_keys, series_values);
    point.x = x.get<double>();
    point.y = c.effect;
    if (!std::isnan(c.lo)) {
      point.lo = c.lo;
      point.hi = c.hi;
    }
    point.n = c.pairs;
    point.status = "measured";
    plot.points.push_back(std::move(point));
  }
  plot.caption = "A point is the mean over seeds of the difference in " + metric + " against " +
                 baseline +
                 " on the same test examples; its bar is the 95 % interval of DeLong's paired "
                 "test with the seeds' spread added. A bar that crosses the line at 0 does not "
                 "show a difference; `attnsweep results --compare` prints the same with p-values.";
  return plot;
}

std::vector<Plot> BuildPlots(const std::vector<JobRecord>& jobs,
                             const std::map<int64_t, std::vector<CurvePoint>>& curves) {
  std::vector<Plot> plots;
  AddLengthPlots(jobs, &plots);
  for (const TaskDefinition& task : Tasks()) {
    if (task.plots_variant_sizes) AddApproximationPlots(jobs, task, &plots);
  }
  bool first_with_curves = true;
  for (const TaskDefinition& task : Tasks()) {
    if (task.curve_plots.empty()) continue;
    AddCurvePlots(jobs, curves, task, first_with_curves, &plots);
    AddSearchPlot(jobs, curves, task, &plots);
    first_with_curves = false;
  }
  return plots;
}

}  // namespace attnsweep
