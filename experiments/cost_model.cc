#include "experiments/cost_model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>

namespace attnsweep {
namespace {

// Estimates are floored so a log never sees zero (a sleep job of 0 s).
constexpr double kFloorSeconds = 1e-3;
// A group's history must span this factor in its estimates before a slope is fitted.
constexpr double kSpanForSlope = 2.0;
constexpr double kMinSlope = 0.5, kMaxSlope = 2.0;

double Log(double seconds) { return std::log(std::max(seconds, kFloorSeconds)); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string TaskOf(const std::string& cost_group) {
  return cost_group.substr(0, cost_group.find('/'));
}

}  // namespace

void CostModel::Fit::Add(double log_estimate, double log_second) {
  log_estimates_.push_back(log_estimate);
  log_seconds_.push_back(log_second);
  stale_ = true;
}

void CostModel::Fit::Refit() const {
  stale_ = false;
  std::vector<double> log_ratios;
  for (size_t i = 0; i < log_estimates_.size(); ++i) {
    log_ratios.push_back(log_seconds_[i] - log_estimates_[i]);
  }
  median_log_ratio_ = log_ratios.empty() ? 0 : Median(log_ratios);
  slope_ = 1;
  intercept_ = median_log_ratio_;
  const auto [low, high] = std::minmax_element(log_estimates_.begin(), log_estimates_.end());
  if (log_estimates_.size() < 3 || *high - *low < std::log(kSpanForSlope)) return;
  const double n = static_cast<double>(log_estimates_.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < log_estimates_.size(); ++i) {
    mx += log_estimates_[i] / n;
    my += log_seconds_[i] / n;
  }
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < log_estimates_.size(); ++i) {
    sxy += (log_estimates_[i] - mx) * (log_seconds_[i] - my);
    sxx += (log_estimates_[i] - mx) * (log_estimates_[i] - mx);
  }
  slope_ = std::clamp(sxy / sxx, kMinSlope, kMaxSlope);
  intercept_ = my - slope_ * mx;
}

double CostModel::Fit::Predict(double log_estimate) const {
  if (stale_) Refit();
  return std::exp(intercept_ + slope_ * log_estimate);
}

double CostModel::Fit::MedianLogRatio() const {
  if (stale_) Refit();
  return median_log_ratio_;
}

CostModel::CostModel(const std::vector<CostObservation>& history) {
  for (const auto& observation : history) Observe(observation);
}

void CostModel::Observe(const CostObservation& observation) {
  if (!(observation.seconds >= 0) || !(observation.estimate_s >= 0)) return;  // NaN, negative
  const double x = Log(observation.estimate_s), y = Log(observation.seconds);
  by_key_[observation.job_key].push_back(observation.seconds);
  by_group_[observation.cost_group].Add(x, y);
  by_task_[TaskOf(observation.cost_group)].Add(x, y);
  all_.Add(x, y);
  ++count_;
}

const CostModel::Fit* CostModel::FitFor(const std::string& cost_group) const {
  if (auto it = by_group_.find(cost_group); it != by_group_.end()) return &it->second;
  if (auto it = by_task_.find(TaskOf(cost_group)); it != by_task_.end()) return &it->second;
  return nullptr;
}

std::string CostModel::Basis(const std::string& job_key, const std::string& cost_group) const {
  if (by_key_.count(job_key)) return "same job";
  if (by_group_.count(cost_group)) return "group";
  if (by_task_.count(TaskOf(cost_group))) return "task";
  return count_ > 0 ? "store" : "analytic";
}

double CostModel::Estimate(const std::string& job_key, const std::string& cost_group,
                           double estimate_s) const {
  if (auto it = by_key_.find(job_key); it != by_key_.end()) return Median(it->second);
  if (const Fit* fit = FitFor(cost_group)) return fit->Predict(Log(estimate_s));
  // Another task's slope says nothing about this one: only the store's overall ratio is used.
  if (count_ > 0) return std::exp(all_.MedianLogRatio() + Log(estimate_s));
  return estimate_s;
}

double RemainingMakespan(std::vector<double> remaining_s, int workers) {
  if (remaining_s.empty()) return 0;
  std::sort(remaining_s.begin(), remaining_s.end(), std::greater<double>());
  // Each job goes to the worker that is free first, longest job first.
  std::priority_queue<double, std::vector<double>, std::greater<double>> free_at;
  for (int w = 0; w < std::max(1, workers); ++w) free_at.push(0);
  double makespan = 0;
  for (double job : remaining_s) {
    const double start = free_at.top();
    free_at.pop();
    makespan = std::max(makespan, start + job);
    free_at.push(start + job);
  }
  return makespan;
}

}  // namespace attnsweep
