#include "experiments/paired_auc.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace attnsweep {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;

// An id both models scored in one run.
struct SharedExample {
  int64_t id;
  int label;
  double score_a, score_b;
};

void CheckExample(const ScoredExample& e) {
  if (e.label != 0 && e.label != 1)
    throw std::invalid_argument("label of id " + std::to_string(e.id) + " is not 0 or 1");
  if (std::isnan(e.score)) throw std::invalid_argument("NaN score for id " + std::to_string(e.id));
}

// The ids in both lists, in A's order. Duplicates are refused rather than resolved: which of two
// scores for one customer is meant cannot be guessed.
std::vector<SharedExample> SharedExamples(const PairedRun& run, size_t run_index) {
  const std::string where = " in run " + std::to_string(run_index);
  std::unordered_map<int64_t, const ScoredExample*> in_b;
  in_b.reserve(run.b.size());
  for (const ScoredExample& e : run.b) {
    CheckExample(e);
    if (!in_b.emplace(e.id, &e).second)
      throw std::invalid_argument("id " + std::to_string(e.id) + " twice in model B's list" +
                                  where);
  }
  std::unordered_set<int64_t> in_a;
  in_a.reserve(run.a.size());
  std::vector<SharedExample> shared;
  for (const ScoredExample& e : run.a) {
    CheckExample(e);
    if (!in_a.insert(e.id).second)
      throw std::invalid_argument("id " + std::to_string(e.id) + " twice in model A's list" +
                                  where);
    const auto it = in_b.find(e.id);
    if (it == in_b.end()) continue;
    if (it->second->label != e.label)
      throw std::invalid_argument("models A and B disagree on the label of id " +
                                  std::to_string(e.id) + where);
    shared.push_back({e.id, e.label, e.score, it->second->score});
  }
  return shared;
}

// 1-based ranks of `values`, ties sharing the mean of the ranks they span.
std::vector<double> MidRanks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && values[order[j]] == values[order[i]]) ++j;
    const double mid_rank = (i + 1 + j) / 2.0;  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k) ranks[order[k]] = mid_rank;
    i = j;
  }
  return ranks;
}

// Each example's placement value for one model: V10 for a positive, V01 for a negative. A
// positive's midrank among all examples less its midrank among the positives counts the negatives
// below it, ties one half, which is n V10; a negative's likewise counts the positives below it,
// which is m (1 - V01). Three sorts instead of the m n comparisons.
std::vector<double> Placements(const std::vector<SharedExample>& examples, bool model_a,
                               double positives, double negatives) {
  std::vector<double> all, positive_scores, negative_scores;
  for (const SharedExample& e : examples) {
    const double s = model_a ? e.score_a : e.score_b;
    all.push_back(s);
    (e.label == 1 ? positive_scores : negative_scores).push_back(s);
  }
  const std::vector<double> rank_all = MidRanks(all), rank_positive = MidRanks(positive_scores),
                            rank_negative = MidRanks(negative_scores);
  std::vector<double> placements(examples.size());
  size_t p = 0, q = 0;
  for (size_t k = 0; k < examples.size(); ++k) {
    if (examples[k].label == 1)
      placements[k] = (rank_all[k] - rank_positive[p++]) / negatives;
    else
      placements[k] = 1 - (rank_all[k] - rank_negative[q++]) / positives;
  }
  return placements;
}

// An id's influence on the combined difference, summed over the runs that hold it.
struct Influence {
  int label = 0;
  double sum = 0;
};

}  // namespace

AucComparison CompareAucsPaired(const std::vector<PairedRun>& runs, double confidence) {
  if (runs.empty()) throw std::invalid_argument("no runs to compare AUCs over");
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("confidence must be in (0, 1)");
  AucComparison result;
  result.runs = static_cast<int>(runs.size());
  std::unordered_map<int64_t, Influence> influence;
  for (size_t r = 0; r < runs.size(); ++r) {
    const std::vector<SharedExample> examples = SharedExamples(runs[r], r);
    size_t m = 0;
    for (const SharedExample& e : examples) m += e.label == 1;
    const size_t n = examples.size() - m;
    if (m == 0 || n == 0)
      throw std::invalid_argument("run " + std::to_string(r) + " has " + std::to_string(m) +
                                  " positives and " + std::to_string(n) +
                                  " negatives among the ids both models scored: its AUC is "
                                  "undefined");
    const double dm = static_cast<double>(m), dn = static_cast<double>(n);
    const std::vector<double> place_a = Placements(examples, true, dm, dn),
                              place_b = Placements(examples, false, dm, dn);
    double auc_a = 0, auc_b = 0;
    for (size_t k = 0; k < examples.size(); ++k) {
      if (examples[k].label == 1) auc_a += place_a[k], auc_b += place_b[k];
    }
    auc_a /= dm;
    auc_b /= dm;
    const double d = auc_a - auc_b;
    result.auc_a += auc_a;
    result.auc_b += auc_b;
    result.difference += d;
    result.run_differences.push_back(d);
    for (size_t k = 0; k < examples.size(); ++k) {
      const SharedExample& e = examples[k];
      const auto [it, fresh] = influence.try_emplace(e.id, Influence{e.label, 0});
      if (!fresh && it->second.label != e.label)
        throw std::invalid_argument("id " + std::to_string(e.id) +
                                    " has different labels in different runs");
      it->second.sum += (place_a[k] - place_b[k] - d) / (e.label == 1 ? dm : dn);
    }
  }
  const double R = static_cast<double>(runs.size());
  result.auc_a /= R;
  result.auc_b /= R;
  result.difference /= R;
  double squares_positive = 0, squares_negative = 0;
  for (const auto& [id, inf] : influence) {
    const double value = inf.sum / R;
    if (inf.label == 1) {
      squares_positive += value * value;
      ++result.positives;
    } else {
      squares_negative += value * value;
      ++result.negatives;
    }
  }
  // M / (M - 1) turns the sums of squares into sample-variance (unbiased) form. A class with a
  // single id has no sample variance; its influence is then 0 anyway (its one component is the
  // run's mean), and the class is left to contribute 0 rather than 0 / 0.
  const double M = static_cast<double>(result.positives), N = static_cast<double>(result.negatives);
  double variance = 0;
  if (M > 1) variance += M / (M - 1) * squares_positive;
  if (N > 1) variance += N / (N - 1) * squares_negative;
  result.customer_std_error = std::sqrt(variance);
  if (runs.size() > 1) {
    double squares = 0;
    for (double d : result.run_differences)
      squares += (d - result.difference) * (d - result.difference);
    variance += squares / (R - 1) / R;
  }
  result.std_error = std::sqrt(variance);
  const double z = NormalQuantile((1 + confidence) / 2);
  result.lo = result.difference - z * result.std_error;
  result.hi = result.difference + z * result.std_error;
  if (result.std_error > 0)
    result.p_value = TwoSidedNormalP(result.difference / result.std_error);
  else
    result.p_value = result.difference == 0 ? 1 : 0;
  return result;
}

double NormalQuantile(double p) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument("normal quantile of p outside (0, 1)");
  if (p == 0.5) return 0;
  // Find t > 0 with upper tail Q(t) = q, q the smaller tail, and mirror. Solving for the small tail
  // keeps the precision that 1 - p would lose; solving in log space makes Newton's step well scaled
  // from q = 0.5 down to q = 1e-300, where Q and its derivative are both tiny.
  const double q = std::min(p, 1 - p), target = std::log(q);
  double lo = 0, hi = 40;  // Q(40) is below the smallest double
  // Start from the leading terms of the tail's asymptotic expansion: within a few percent.
  const double l = -2 * target;
  double t = std::sqrt(std::max(0.0, l - std::log(l) - std::log(2 * kPi)));
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double tail = 0.5 * std::erfc(t / kSqrt2);
    const double gap = std::log(tail) - target;  // falls with t; -inf where tail underflows
    if (gap == 0) break;
    (gap > 0 ? lo : hi) = t;
    const double density = std::exp(-0.5 * t * t) / std::sqrt(2 * kPi);
    double next = t + gap * tail / density;
    // Bisect where Newton leaves the bracket or meets an underflow (0 * inf).
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const bool converged = std::abs(next - t) <= 1e-14 * std::max(1.0, t);
    t = next;
    if (converged) break;
  }
  return p < 0.5 ? -t : t;
}

double TwoSidedNormalP(double z) { return std::erfc(std::abs(z) / kSqrt2); }

}  // namespace attnsweep
