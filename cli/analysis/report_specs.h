// A Plot as a Vega-Lite specification: lines through the measured points, error bars, and one
// point mark (named "points") with every cell, failures drawn as crosses.
#pragma once

#include <nlohmann/json.hpp>

#include "cli/analysis/report_plots.h"

namespace attnsweep {

nlohmann::json VegaLiteSpec(const Plot& plot);

}  // namespace attnsweep
