// The mean and sample variance of a handful of values (a group's seeds), for every table and plot
// that summarises them: one spelling of the arithmetic, so their figures agree to the last bit.
#pragma once

#include <numeric>
#include <vector>

namespace attnsweep {

// Of a non-empty list.
inline double Mean(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Sample variance (n - 1); 0 for one value.
inline double SampleVariance(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double mean = Mean(values);
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return squares / static_cast<double>(values.size() - 1);
}

}  // namespace attnsweep
