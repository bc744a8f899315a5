#include "cli/analysis/results_compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "cli/analysis/results_aggregate.h"
#include "cli/analysis/sample_statistics.h"
#include "experiments/base/strings.h"
#include "experiments/student_t.h"

namespace attnsweep {
namespace {

constexpr double kConfidence = 0.95;

// Figures on a ratio scale (a time, an amount of memory): "1.8× slower" is what a reader wants,
// and their noise grows with their size.
bool ComparedByRatio(const std::string& metric) {
  return EndsWith(metric, "_ms") || EndsWith(metric, "_s") || EndsWith(metric, "_mb") ||
         metric == "seconds";
}

// The jobs that share every grouping key's value.
struct Cell {
  std::vector<nlohmann::json> key_values;
  std::vector<const JobRecord*> jobs;
  std::vector<nlohmann::json> seeds;
};

struct Pair {
  const JobRecord* job;
  const JobRecord* baseline;
};

double Figure(const JobRecord* job, const std::string& name) {
  auto found = job->metrics.find(name);
  return found == job->metrics.end() ? NAN : found->second;
}

void CompareAuc(const std::vector<Pair>& pairs, const PredictionsOf& predictions, Comparison* row) {
  std::vector<PairedRun> runs;
  for (const Pair& pair : pairs) {
    PairedRun run{predictions(pair.job->id), predictions(pair.baseline->id)};
    if (run.a.empty() || run.b.empty()) {
      row->note = "job " + std::to_string(run.a.empty() ? pair.job->id : pair.baseline->id) +
                  " stored no per-customer test scores (a build before they were kept): " +
                  "no paired test";
      return;
    }
    runs.push_back(std::move(run));
  }
  try {
    const AucComparison c = CompareAucsPaired(runs, kConfidence);
    row->method = "DeLong, paired customers";
    row->value = c.auc_a;
    row->baseline = c.auc_b;
    row->effect = c.difference;
    row->lo = c.lo;
    row->hi = c.hi;
    row->p_value = c.p_value;
    row->note = std::to_string(c.positives + c.negatives) + " customers";
  } catch (const std::invalid_argument& e) {
    row->note = e.what();
  }
}

// A job's median interval as a standard error of its logarithm, where it stored one.
double LogStdError(const JobRecord* job, const std::string& metric, double z) {
  const double lo = Figure(job, metric + "_lo"), hi = Figure(job, metric + "_hi");
  if (!(lo > 0 && hi > 0)) return 0;
  return (std::log(hi) - std::log(lo)) / (2 * z);
}

void CompareRatio(const std::vector<Pair>& pairs, Comparison* row) {
  const double z = NormalQuantile((1 + kConfidence) / 2);
  std::vector<double> log_ratios, values, baselines;
  double within = 0;
  for (const Pair& pair : pairs) {
    const double a = Figure(pair.job, row->metric), b = Figure(pair.baseline, row->metric);
    if (!(a > 0 && b > 0)) continue;
    log_ratios.push_back(std::log(a) - std::log(b));
    values.push_back(a);
    baselines.push_back(b);
    within += std::pow(LogStdError(pair.job, row->metric, z), 2) +
              std::pow(LogStdError(pair.baseline, row->metric, z), 2);
  }
  row->method = "ratio";
  row->ratio = true;
  row->pairs = static_cast<int>(log_ratios.size());
  if (log_ratios.empty()) {
    row->note = "no positive values to divide";
    return;
  }
  const double n = static_cast<double>(log_ratios.size());
  const double mean = Mean(log_ratios);
  row->value = Mean(values);
  row->baseline = Mean(baselines);
  row->effect = std::exp(mean);
  within /= n * n;
  const double between = SampleVariance(log_ratios) / n;
  if (within == 0 && between == 0) {
    row->note = log_ratios.size() == 1 ? "one seed, and no interval of its medians" : "";
    return;
  }
  // The seeds' spread, when it says more than the jobs' own intervals, with its few degrees of
  // freedom; else the intervals (normal).
  const bool from_seeds = between > within;
  const double se = std::sqrt(std::max(within, between));
  const double q = from_seeds ? StudentTQuantile((1 + kConfidence) / 2, n - 1) : z;
  row->lo = std::exp(mean - q * se);
  row->hi = std::exp(mean + q * se);
  row->p_value = from_seeds ? TwoSidedStudentTP(mean / se, n - 1) : TwoSidedNormalP(mean / se);
  // One pair cannot see the drift between runs, which here has moved a median by a quarter with
  // tight intervals on both sides (docs/results.md): say so.
  row->note = from_seeds              ? "interval from the seeds' spread"
              : log_ratios.size() > 1 ? "interval from the jobs' repeats"
                                      : "one seed: the repeats' noise only, not the drift "
                                        "between runs";
}

void CompareDifference(const std::vector<Pair>& pairs, Comparison* row) {
  std::vector<double> differences, values, baselines;
  for (const Pair& pair : pairs) {
    const double a = Figure(pair.job, row->metric), b = Figure(pair.baseline, row->metric);
    if (std::isnan(a) || std::isnan(b)) continue;
    differences.push_back(a - b);
    values.push_back(a);
    baselines.push_back(b);
  }
  row->method = "paired difference";
  row->pairs = static_cast<int>(differences.size());
  if (differences.empty()) {
    row->note = "no paired values";
    return;
  }
  const double n = static_cast<double>(differences.size());
  row->value = Mean(values);
  row->baseline = Mean(baselines);
  row->effect = Mean(differences);
  if (differences.size() < 2) {
    row->note = "one seed: no interval";
    return;
  }
  const double se = std::sqrt(SampleVariance(differences) / n);
  if (se == 0) {
    row->note = "every seed's difference is the same: no interval";
    return;
  }
  const double q = StudentTQuantile((1 + kConfidence) / 2, n - 1);
  row->lo = row->effect - q * se;
  row->hi = row->effect + q * se;
  row->p_value = TwoSidedStudentTP(row->effect / se, n - 1);
  row->note = "Student's t over seeds";
}

// Holm's step-down adjustment over every row with a p-value.
void AdjustForMultipleComparisons(std::vector<Comparison>* rows) {
  std::vector<size_t> tested;
  for (size_t i = 0; i < rows->size(); ++i) {
    if (!std::isnan((*rows)[i].p_value)) tested.push_back(i);
  }
  std::sort(tested.begin(), tested.end(),
            [&](size_t a, size_t b) { return (*rows)[a].p_value < (*rows)[b].p_value; });
  double running = 0;
  const double m = static_cast<double>(tested.size());
  for (size_t rank = 0; rank < tested.size(); ++rank) {
    Comparison& row = (*rows)[tested[rank]];
    running = std::max(running, std::min(1.0, (m - static_cast<double>(rank)) * row.p_value));
    row.p_holm = running;
  }
}

}  // namespace

std::vector<std::string> ComparisonKeys(std::vector<std::string> by,
                                        const CompareBaseline& baseline) {
  if (std::find(by.begin(), by.end(), baseline.key) == by.end())
    by.insert(by.begin(), baseline.key);
  return by;
}

PredictionsOf StoredPredictions(ResultStore& store) {
  return [&store](int64_t job_id) {
    std::vector<ScoredExample> scores;
    for (const Prediction& p : store.Predictions(job_id))
      scores.push_back({p.example, p.label, p.score});
    return scores;
  };
}

std::optional<CompareBaseline> ParseCompareBaseline(const std::string& text, std::string* error) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
    *error = "--compare " + text + ": give the baseline as KEY=VALUE, e.g. " +
             "--compare model.attention=gru";
    return std::nullopt;
  }
  CompareBaseline baseline;
  baseline.key = text.substr(0, equals);
  baseline.text = text.substr(equals + 1);
  const auto parsed = nlohmann::json::parse(baseline.text, nullptr, false);
  baseline.value = !parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean())
                       ? parsed
                       : nlohmann::json(baseline.text);
  return baseline;
}

std::vector<Comparison> CompareGroups(const std::vector<JobRecord>& jobs,
                                      const std::vector<std::string>& by,
                                      const CompareBaseline& baseline,
                                      const std::vector<std::string>& metrics,
                                      const std::set<std::string>& scored_metrics,
                                      const PredictionsOf& predictions) {
  const size_t column = std::find(by.begin(), by.end(), baseline.key) - by.begin();
  if (column == by.size()) throw std::invalid_argument("the compared key is not a grouping key");
  std::vector<Cell> cells;
  std::map<std::string, size_t> cell_of;
  std::vector<size_t> baseline_cells;
  for (const auto& job : jobs) {
    if (job.status != "done") continue;
    const nlohmann::json config = nlohmann::json::parse(job.config);
    std::vector<nlohmann::json> values;
    for (const auto& key : by) values.push_back(JobKeyValue(job, config, key));
    if (values[column].is_null()) continue;  // a job of another task
    auto [it, fresh] = cell_of.emplace(nlohmann::json(values).dump(), cells.size());
    if (fresh) {
      cells.push_back({values, {}, {}});
      if (values[column] == baseline.value) baseline_cells.push_back(it->second);
    }
    cells[it->second].jobs.push_back(&job);
    cells[it->second].seeds.push_back(JobKeyValue(job, config, "seed"));
  }
  // The baseline's cell for a group: the same value of every other grouping key the baseline has.
  // A key the baseline lacks is another variant's own (model.performer.features against softmax):
  // any value matches it.
  auto baseline_for = [&](const Cell& cell) -> const Cell* {
    for (size_t index : baseline_cells) {
      const Cell& reference = cells[index];
      bool same = true;
      for (size_t k = 0; k < by.size() && same; ++k) {
        if (k == column || reference.key_values[k].is_null()) continue;
        same = reference.key_values[k] == cell.key_values[k];
      }
      if (same) return &reference;
    }
    return nullptr;
  };
  std::vector<Comparison> rows;
  for (const Cell& cell : cells) {
    if (cell.key_values[column] == baseline.value) continue;
    const Cell* reference = baseline_for(cell);
    std::vector<Pair> pairs;
    if (reference != nullptr) {
      for (size_t a = 0; a < cell.jobs.size(); ++a) {
        for (size_t b = 0; b < reference->jobs.size(); ++b) {
          if (cell.seeds[a] == reference->seeds[b])
            pairs.push_back({cell.jobs[a], reference->jobs[b]});
        }
      }
    }
    for (const auto& metric : metrics) {
      // A figure none of the group's jobs has is another task's (a batch of benchmarks and
      // training): no row.
      if (std::none_of(cell.jobs.begin(), cell.jobs.end(),
                       [&](const JobRecord* job) { return job->metrics.count(metric) > 0; }))
        continue;
      Comparison row;
      row.key_values = cell.key_values;
      row.metric = metric;
      std::vector<Pair> measured;
      for (const Pair& pair : pairs) {
        if (pair.job->metrics.count(metric) && pair.baseline->metrics.count(metric))
          measured.push_back(pair);
      }
      row.pairs = static_cast<int>(measured.size());
      if (reference == nullptr) {
        row.note = "no " + baseline.key + "=" + baseline.text + " jobs with these other keys";
      } else if (measured.empty()) {
        row.note = "no seed measured on both sides";
      } else if (scored_metrics.count(metric)) {
        CompareAuc(measured, predictions, &row);
      } else if (ComparedByRatio(metric)) {
        CompareRatio(measured, &row);
      } else {
        CompareDifference(measured, &row);
      }
      rows.push_back(std::move(row));
    }
  }
  AdjustForMultipleComparisons(&rows);
  return rows;
}

namespace {

nlohmann::json NumberOrNull(double value) {
  return std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
}

std::string Signed(double value) { return (value > 0 ? "+" : "") + FormatNumber(value); }

}  // namespace

Table ComparisonsToTable(const std::vector<Comparison>& comparisons,
                         const std::vector<std::string>& by, OutputFormat format) {
  const bool for_people = format == OutputFormat::kTable || format == OutputFormat::kMarkdown;
  Table table;
  table.columns = by;
  if (for_people) {
    for (const char* column : {"metric", "pairs", "value", "baseline", "vs baseline",
                               "95 % interval", "p", "p (Holm)", "method", "note"})
      table.columns.push_back(column);
  } else {
    for (const char* column : {"metric", "pairs", "value", "baseline", "effect", "effect_kind",
                               "lo", "hi", "p", "p_holm", "method", "note"})
      table.columns.push_back(column);
  }
  for (const Comparison& c : comparisons) {
    std::vector<nlohmann::json> row = c.key_values;
    row.push_back(c.metric);
    row.push_back(c.pairs);
    row.push_back(NumberOrNull(c.value));
    row.push_back(NumberOrNull(c.baseline));
    if (for_people) {
      const auto show = [&](double v) { return c.ratio ? FormatNumber(v) + "×" : Signed(v); };
      row.push_back(std::isnan(c.effect) ? nlohmann::json() : nlohmann::json(show(c.effect)));
      row.push_back(std::isnan(c.lo) ? nlohmann::json()
                                     : nlohmann::json(show(c.lo) + " .. " + show(c.hi)));
    } else {
      row.push_back(NumberOrNull(c.effect));
      row.push_back(c.ratio ? "ratio" : "difference");
      row.push_back(NumberOrNull(c.lo));
      row.push_back(NumberOrNull(c.hi));
    }
    row.push_back(NumberOrNull(c.p_value));
    row.push_back(NumberOrNull(c.p_holm));
    row.push_back(c.method.empty() ? nlohmann::json() : nlohmann::json(c.method));
    row.push_back(c.note.empty() ? nlohmann::json() : nlohmann::json(c.note));
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace attnsweep
