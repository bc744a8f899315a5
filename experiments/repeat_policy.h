// How many timed passes a benchmark takes: at least `min_repeats`, then more until the median's 95
// % interval (order statistics: experiments/median_interval.h) lies within ±rel_ci of the median,
// or until `max_repeats` passes or `max_seconds` of timed work; a pass that a cap stopped is noisy.
// Plain C++, so the rule is tested on made-up times.
#pragma once

#include <vector>

#include "experiments/median_interval.h"

namespace attnsweep {

struct RepeatPolicy {
  int min_repeats = 5;
  int max_repeats = 30;
  double max_seconds = 5;
  double rel_ci = 0.05;
};

class RepeatedTiming {
 public:
  explicit RepeatedTiming(const RepeatPolicy& policy) : policy_(policy) {}

  // Records one pass; returns whether another is wanted.
  bool Add(double ms);

  const std::vector<double>& times_ms() const { return times_ms_; }
  // Valid once Add returned false.
  const MedianInterval& median() const { return median_; }
  bool noisy() const { return noisy_; }

 private:
  RepeatPolicy policy_;
  std::vector<double> times_ms_;
  double timed_ms_ = 0;
  MedianInterval median_;
  bool noisy_ = false;
};

}  // namespace attnsweep
