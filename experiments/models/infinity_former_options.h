// InfinityFormerOptions: what the registry's description (builtin_variants.cc, its defaults) and
// the layer both read; free of LibTorch's tensors (TORCH_ARG is a macro of its own header).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/arg.h>

namespace attnsweep {

struct InfinityFormerOptions {
  InfinityFormerOptions(int64_t d_model, int64_t heads) : d_model_(d_model), heads_(heads) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, heads);
  // Events per segment: exact attention within one, the long-term memory across them.
  TORCH_ARG(int64_t, segment) = 128;
  // Basis functions N of the memory, split as evenly as they go over the widths.
  TORCH_ARG(int64_t, basis) = 64;
  // Standard deviations of the Gaussian basis functions, on t in [0, 1].
  TORCH_ARG(std::vector<double>, widths) = std::vector<double>{0.01, 0.05};
  // Ridge penalty lambda of the coefficients' fit.
  TORCH_ARG(double, ridge) = 0.5;
  // Locations M at which the old signal is sampled when the memory is updated.
  TORCH_ARG(int64_t, samples) = 64;
  // The past is contracted into [0, tau]; the new segment takes [tau, 1].
  TORCH_ARG(double, tau) = 0.75;
  // Sticky memories: sample the old signal where the last segment's attention went, not evenly.
  TORCH_ARG(bool, sticky) = false;
  // Detach the memory from the graph (as in the paper): no gradient flows into past segments.
  TORCH_ARG(bool, detach) = true;
  // Exact attention within a segment masked causally; the long-term memory holds past segments
  // only, as it always does.
  TORCH_ARG(bool, causal) = false;
};

}  // namespace attnsweep
