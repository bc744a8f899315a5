// The median of a few repeated measurements (seeds, timing repeats) with a distribution-free
// confidence interval, and the median absolute deviation. Plain C++: with a handful of seeds the
// values are rarely normal, and one diverged run must not decide the summary.
#pragma once

#include <vector>

namespace attnsweep {

struct MedianInterval {
  double median = 0, lo = 0, hi = 0;
  // Whether [lo, hi] reaches the asked confidence: with too few values (n < 6 at 95 %) no pair of
  // order statistics does, and [lo, hi] is then [min, max], with less coverage.
  bool reaches_confidence = false;
  double coverage = 0;  // the interval's exact coverage under the binomial(n, 1/2) law
};

// The sample median (mean of the two middle values for even n) and the distribution-free interval
// of the population median from order statistics: lo = x_(j), hi = x_(n+1-j) with j the largest
// rank such that the coverage 1 - 2 P(Binom(n, 1/2) <= j - 1) >= confidence. Why order statistics:
// each value falls below the population median with probability 1/2 whatever the distribution, so
// the coverage is exact for any continuous law. Empty input, a NaN, or confidence outside (0, 1)
// throws std::invalid_argument.
MedianInterval MedianWithInterval(std::vector<double> values, double confidence = 0.95);

// Median of |x - median(x)| (unscaled): a spread that one outlier cannot move. Multiply by 1.4826
// for a consistent estimate of a normal law's standard deviation. Empty input or a NaN throws
// std::invalid_argument.
double MedianAbsoluteDeviation(std::vector<double> values);

}  // namespace attnsweep
