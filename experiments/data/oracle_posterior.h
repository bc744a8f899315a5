// The posteriors a planted signal family leaves (synthetic.h, kOraclePosteriorFile): each
// customer's P(label = 1 | what a model sees), the Bayes-optimal score a job's figures are held to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace attnsweep {

// The folder's oracle_posterior.csv by customer id; nullopt where the folder has none (the mix
// and real data have no known posterior). Throws DataError for a file that is not one.
std::optional<std::unordered_map<int64_t, double>> ReadOraclePosteriors(const std::string& folder);

}  // namespace attnsweep
