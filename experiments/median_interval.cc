#include "experiments/median_interval.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnsweep {
namespace {

// Coverages are compared with the asked confidence up to this slack, so that a confidence given as
// an exact coverage (0.96875 for n = 6) is not lost to the rounding of lgamma and exp.
constexpr double kCoverageSlack = 1e-12;

void CheckValues(const std::vector<double>& values) {
  if (values.empty()) throw std::invalid_argument("median of no values");
  for (double v : values)
    if (std::isnan(v)) throw std::invalid_argument("median of values holding a NaN");
}

// The median of `values`, reordering them: O(n) by selection rather than a full sort.
double SelectMedian(std::vector<double>& values) {
  const size_t n = values.size(), upper = n / 2;
  std::nth_element(values.begin(), values.begin() + upper, values.end());
  const double above = values[upper];
  if (n % 2 == 1) return above;
  // After nth_element the lower middle value is the largest of the lower half.
  const double below = *std::max_element(values.begin(), values.begin() + upper);
  return below + (above - below) / 2;
}

// P(Binom(n, 1/2) = k) in log space: 2^-n and the binomial coefficient each overflow or underflow
// a double long before n = 100000, their ratio does not.
double BinomialHalfPmf(size_t n, size_t k) {
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  return std::exp(std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1) -
                  dn * std::log(2.0));
}

}  // namespace

MedianInterval MedianWithInterval(std::vector<double> values, double confidence) {
  CheckValues(values);
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("confidence must be in (0, 1)");
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  MedianInterval result;
  result.median =
      n % 2 == 1 ? values[n / 2] : values[n / 2 - 1] + (values[n / 2] - values[n / 2 - 1]) / 2;
  // Walk j up from 1: the coverage 1 - 2 P(B <= j - 1) only falls as j grows, so the first j that
  // misses the confidence ends the search. The terms are summed smallest first, which keeps the
  // tail sum accurate.
  size_t best_rank = 0;
  double best_coverage = 0, tail = 0;
  for (size_t j = 1; j <= (n + 1) / 2; ++j) {
    tail += BinomialHalfPmf(n, j - 1);
    const double coverage = std::max(0.0, 1 - 2 * tail);
    if (j == 1) best_coverage = coverage;  // [min, max], kept when no rank reaches the confidence
    if (coverage < confidence - kCoverageSlack) break;
    best_rank = j;
    best_coverage = coverage;
  }
  result.reaches_confidence = best_rank > 0;
  const size_t j = std::max<size_t>(best_rank, 1);
  result.lo = values[j - 1];
  result.hi = values[n - j];
  result.coverage = best_coverage;
  return result;
}

double MedianAbsoluteDeviation(std::vector<double> values) {
  CheckValues(values);
  const double median = SelectMedian(values);
  for (double& v : values) v = std::abs(v - median);
  return SelectMedian(values);
}

}  // namespace attnsweep
