#include "workers/cost_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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

namespace {

// The test evaluation after a training job's last epoch, in epochs at the pace it kept: a forward
// pass over the test customers (10 % by default) against an epoch's forward and backward over the
// training ones (80 %) and forward over the validation ones (10 %), 4 % of an epoch, and the
// bootstrap of its interval; rounded up, as the pace also carries the job's start.
constexpr double kTestEvaluationEpochs = 0.1;
// What a running job without progress has left, at least, as a share of its estimate or of its
// time so far, whichever is larger.
constexpr double kRunningFloor = 0.1;

}  // namespace

double RemainingSeconds(const UnfinishedJob& job) {
  if (!job.running) return std::max(0.0, job.expected_s);
  const double elapsed = std::max(0.0, job.elapsed_s);
  if (const auto& p = job.progress;
      p && 1 <= p->first_epoch && p->first_epoch <= p->epoch && p->epoch <= p->epochs) {
    const double per_epoch = elapsed / static_cast<double>(p->epoch - p->first_epoch + 1);
    return per_epoch * (static_cast<double>(p->epochs - p->epoch) + kTestEvaluationEpochs);
  }
  return std::max(job.expected_s - elapsed, kRunningFloor * std::max(job.expected_s, elapsed));
}

namespace {

struct Remaining {
  double seconds;
  bool needs_node;
  bool running;
};

std::vector<Remaining> RemainingOf(const std::vector<UnfinishedJob>& jobs) {
  std::vector<Remaining> remaining;
  remaining.reserve(jobs.size());
  for (const auto& job : jobs) {
    remaining.push_back({RemainingSeconds(job), job.needs_node, job.running});
  }
  return remaining;
}

// Every node has a worker at least (a node is known by the workers on it).
std::vector<int> Nodes(const std::vector<int>& node_workers) {
  std::vector<int> nodes;
  for (int workers : node_workers) nodes.push_back(std::max(1, workers));
  if (nodes.empty()) nodes.push_back(1);
  return nodes;
}

double LowerBound(const std::vector<Remaining>& remaining, const std::vector<int>& nodes) {
  double longest = 0, shared = 0, exclusive = 0;
  for (const auto& job : remaining) {
    longest = std::max(longest, job.seconds);
    (job.needs_node ? exclusive : shared) += job.seconds;
  }
  const double workers = std::accumulate(nodes.begin(), nodes.end(), 0.0);
  const double fewest = *std::min_element(nodes.begin(), nodes.end());
  return std::max({longest, (shared + exclusive * fewest) / workers,
                   exclusive / static_cast<double>(nodes.size())});
}

}  // namespace

double RemainingLowerBound(const std::vector<UnfinishedJob>& jobs,
                           const std::vector<int>& node_workers) {
  return LowerBound(RemainingOf(jobs), Nodes(node_workers));
}

double RemainingMakespan(const std::vector<UnfinishedJob>& jobs,
                         const std::vector<int>& node_workers) {
  if (jobs.empty()) return 0;
  const std::vector<int> nodes = Nodes(node_workers);
  std::vector<Remaining> remaining = RemainingOf(jobs);
  // Running jobs first, those that hold their node before the others (which then run beside
  // them, elsewhere); then the pending ones, longest first.
  std::stable_sort(remaining.begin(), remaining.end(), [](const Remaining& a, const Remaining& b) {
    if (a.running != b.running) return a.running;
    if (a.running) return a.needs_node && !b.needs_node;
    return a.seconds > b.seconds;
  });
  std::vector<std::vector<double>> free_at;  // per node, per worker: when it is free
  for (int workers : nodes) free_at.emplace_back(static_cast<size_t>(workers), 0.0);
  for (const auto& job : remaining) {
    if (job.needs_node) {
      // The node whose last worker is free first; the job holds all of it.
      auto busy_until = [](const std::vector<double>& node) {
        return *std::max_element(node.begin(), node.end());
      };
      auto node = std::min_element(
          free_at.begin(), free_at.end(),
          [&](const auto& a, const auto& b) { return busy_until(a) < busy_until(b); });
      std::fill(node->begin(), node->end(), busy_until(*node) + job.seconds);
      continue;
    }
    double* first = nullptr;
    for (auto& node : free_at) {
      for (double& worker : node) {
        if (first == nullptr || worker < *first) first = &worker;
      }
    }
    *first += job.seconds;
  }
  double makespan = 0;
  for (const auto& node : free_at) {
    makespan = std::max(makespan, *std::max_element(node.begin(), node.end()));
  }
  return std::max(makespan, LowerBound(remaining, nodes));
}

std::vector<int> WorkersOverNodes(int workers, int nodes) {
  nodes = std::max(1, nodes);
  workers = std::max(workers, nodes);
  std::vector<int> spread(static_cast<size_t>(nodes), workers / nodes);
  for (int i = 0; i < workers % nodes; ++i) ++spread[static_cast<size_t>(i)];
  return spread;
}

}  // namespace attnsweep
