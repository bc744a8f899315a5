#include "experiments/roc_auc.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace attnsweep {

double RocAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (scores.size() != labels.size())
    throw std::invalid_argument("scores and labels differ in size");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney: the positives' rank sum, ties sharing their average rank.
  double positive_ranks = 0, positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = (i + 1 + j) / 2.0;  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        positive_ranks += average_rank;
        positives += 1;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (positive_ranks - positives * (positives + 1) / 2) / (positives * negatives);
}

double Accuracy(const std::vector<double>& probabilities, const std::vector<int>& labels) {
  if (labels.empty()) return 0;
  double correct = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    correct += (probabilities[i] >= 0.5) == (labels[i] == 1);
  return correct / static_cast<double>(labels.size());
}

double LogLoss(const std::vector<double>& probabilities, const std::vector<int>& labels) {
  if (labels.empty()) return 0;
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = std::clamp(probabilities[i], 1e-7, 1 - 1e-7);
    total -= labels[i] == 1 ? std::log(p) : std::log(1 - p);
  }
  return total / static_cast<double>(labels.size());
}

}  // namespace attnsweep
