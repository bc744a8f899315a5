// A rough relative cost of a job, from its config alone, so the most expensive pending job is
// handed out first and the batch does not end waiting on one long straggler.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace attnsweep {

// Arbitrary units, comparable across tasks only roughly (about microseconds on one CPU core).
double EstimateCost(const nlohmann::json& config);

}  // namespace attnsweep
