#include "experiments/rung_rules.h"

#include <algorithm>
#include <cmath>

namespace attnsweep {
namespace {

std::string Counted(int64_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

std::vector<int64_t> RungEpochs(const RungRule& rule) {
  std::vector<int64_t> epochs;
  if (rule.type == RungRule::Type::kMedian) {
    for (int64_t e = rule.grace; e < rule.max_epochs; ++e) epochs.push_back(e);
    return epochs;
  }
  for (int64_t e = rule.grace; e < rule.max_epochs; e *= rule.reduction) {
    epochs.push_back(e);
    if (rule.reduction < 2) break;
  }
  return epochs;
}

RungDecision RungJudge::Report(const std::string& group, int64_t job, int64_t epoch, double value) {
  RungDecision decision;
  decision.epoch = epoch;
  decision.value = value;
  if (!std::binary_search(rungs_.begin(), rungs_.end(), epoch)) return decision;
  Rung& rung = recorded_[{group, epoch}];
  if (auto earlier = rung.decided.find(job); earlier != rung.decided.end()) return earlier->second;
  decision.judged = true;
  const auto better_than = [&](double a, double b) {
    return rule_.higher_is_better ? a > b : a < b;
  };
  if (rule_.type == RungRule::Type::kAsha) {
    rung.values.push_back(value);
    decision.reached = static_cast<int64_t>(rung.values.size());
    for (double v : rung.values) decision.better += better_than(v, value) ? 1 : 0;
    decision.allowed = (decision.reached + rule_.reduction - 1) / rule_.reduction;
    std::vector<double> sorted = rung.values;
    std::sort(sorted.begin(), sorted.end(), better_than);
    decision.threshold = sorted[static_cast<size_t>(decision.allowed - 1)];
    decision.go_on = decision.better < decision.allowed;
    decision.reason = "epoch " + std::to_string(epoch) + ": " + Counted(decision.better, "job") +
                      " of " + std::to_string(decision.reached) + " better, the top " +
                      std::to_string(decision.allowed) + " go on";
  } else {
    // The median of the figures the group's other jobs reported at this epoch before it.
    std::vector<double> others = rung.values;
    rung.values.push_back(value);
    decision.reached = static_cast<int64_t>(rung.values.size());
    for (double v : others) decision.better += better_than(v, value) ? 1 : 0;
    if (others.empty()) {
      decision.reason = "epoch " + std::to_string(epoch) + ": the first of its group here";
    } else {
      std::sort(others.begin(), others.end());
      const size_t n = others.size();
      decision.threshold = n % 2 ? others[n / 2] : (others[n / 2 - 1] + others[n / 2]) / 2;
      decision.go_on = !better_than(decision.threshold, value);
      decision.reason = "epoch " + std::to_string(epoch) + ": " +
                        (decision.go_on ? "not worse than" : "worse than") + " the median of " +
                        Counted(static_cast<int64_t>(n), "other job");
    }
  }
  rung.decided[job] = decision;
  return decision;
}

}  // namespace attnsweep
