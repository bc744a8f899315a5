// The exponent of a power law y = a·x^b fitted by least squares on log y against log x: how time
// or memory grows with sequence length (1 linear, 2 quadratic). `results --slope` and the report's
// legends both use this, so they print the same number.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace attnsweep {

// nullopt with fewer than two distinct positive x values (non-positive points are left out: they
// have no logarithm).
std::optional<double> LogLogSlope(const std::vector<std::pair<double, double>>& points);

}  // namespace attnsweep
