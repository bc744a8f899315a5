// A confidence interval for a test ROC AUC: the percentile bootstrap over the scored examples.
// Plain C++, deterministic for a given seed, so a job's interval is reproducible.
#pragma once

#include <cstdint>
#include <vector>

namespace attnsweep {

struct AucInterval {
  double lo = 0.5, hi = 0.5;
};

// The (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of the ROC AUC over `resamples`
// resamples of the examples drawn with replacement (a resample holding one class only counts as
// 0.5, as RocAuc does). Why the bootstrap: it needs no assumption on the score distributions, and
// the test sets here are a few hundred customers, where normal approximations of the AUC's variance
// are rough.
AucInterval BootstrapAucInterval(const std::vector<double>& scores, const std::vector<int>& labels,
                                 double confidence = 0.95, int resamples = 2000, uint64_t seed = 1);

}  // namespace attnsweep
