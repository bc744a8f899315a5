#include "experiments/auc_interval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>

namespace attnsweep {
namespace {

// Groups of equal scores in ascending order, each with the examples it holds.
std::vector<std::vector<size_t>> TieGroups(const std::vector<double>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || scores[order[i]] != scores[order[i - 1]]) groups.emplace_back();
    groups.back().push_back(order[i]);
  }
  return groups;
}

// The AUC of a resample given as a multiplicity per example: one pass over the tie groups, each
// positive beating the negatives below its group and tying half with those in it.
double WeightedAuc(const std::vector<std::vector<size_t>>& groups, const std::vector<int>& labels,
                   const std::vector<int>& multiplicity) {
  double wins = 0, negatives_below = 0, positives = 0;
  for (const auto& group : groups) {
    double group_positives = 0, group_negatives = 0;
    for (size_t i : group) (labels[i] == 1 ? group_positives : group_negatives) += multiplicity[i];
    wins += group_positives * (negatives_below + 0.5 * group_negatives);
    negatives_below += group_negatives;
    positives += group_positives;
  }
  if (positives == 0 || negatives_below == 0) return 0.5;
  return wins / (positives * negatives_below);
}

}  // namespace

AucInterval BootstrapAucInterval(const std::vector<double>& scores, const std::vector<int>& labels,
                                 double confidence, int resamples, uint64_t seed) {
  if (scores.size() != labels.size())
    throw std::invalid_argument("scores and labels differ in size");
  if (!(confidence > 0 && confidence < 1) || resamples < 1)
    throw std::invalid_argument("confidence must be in (0, 1) and resamples at least 1");
  AucInterval interval;
  if (scores.empty()) return interval;
  const auto groups = TieGroups(scores);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, scores.size() - 1);
  std::vector<int> multiplicity(scores.size());
  std::vector<double> aucs(static_cast<size_t>(resamples));
  for (double& auc : aucs) {
    std::fill(multiplicity.begin(), multiplicity.end(), 0);
    for (size_t draw = 0; draw < scores.size(); ++draw) ++multiplicity[pick(rng)];
    auc = WeightedAuc(groups, labels, multiplicity);
  }
  std::sort(aucs.begin(), aucs.end());
  auto quantile = [&](double q) {
    const double position = q * static_cast<double>(aucs.size() - 1);
    const auto below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, aucs.size() - 1);
    return aucs[below] + (position - below) * (aucs[above] - aucs[below]);
  };
  interval.lo = quantile((1 - confidence) / 2);
  interval.hi = quantile((1 + confidence) / 2);
  return interval;
}

}  // namespace attnsweep
