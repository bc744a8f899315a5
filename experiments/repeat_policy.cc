#include "experiments/repeat_policy.h"

namespace attnsweep {

bool RepeatedTiming::Add(double ms) {
  times_ms_.push_back(ms);
  timed_ms_ += ms;
  const int n = static_cast<int>(times_ms_.size());
  if (n < policy_.min_repeats) return true;
  median_ = MedianWithInterval(times_ms_);
  const double half_width = policy_.rel_ci * median_.median;
  if (median_.reaches_confidence && median_.median - median_.lo <= half_width &&
      median_.hi - median_.median <= half_width)
    return false;
  if (n >= policy_.max_repeats || timed_ms_ >= 1000 * policy_.max_seconds) {
    noisy_ = true;
    return false;
  }
  return true;
}

}  // namespace attnsweep
