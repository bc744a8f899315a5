#include "cli/analysis/loglog_fit.h"

#include <cmath>

namespace attnsweep {

std::optional<double> LogLogSlope(const std::vector<std::pair<double, double>>& points) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    if (!(x > 0) || !(y > 0) || !std::isfinite(x) || !std::isfinite(y)) continue;
    const double lx = std::log(x), ly = std::log(y);
    n += 1;
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  const double spread = n * sxx - sx * sx;
  if (n < 2 || spread <= 1e-12 * n * n) return std::nullopt;
  return (n * sxy - sx * sy) / spread;
}

}  // namespace attnsweep
