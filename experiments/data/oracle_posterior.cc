#include "experiments/data/oracle_posterior.h"

#include <filesystem>
#include <fstream>

#include "experiments/data/data_error.h"
#include "experiments/data/synthetic.h"

namespace attnsweep {

std::optional<std::unordered_map<int64_t, double>> ReadOraclePosteriors(const std::string& folder) {
  const std::string path = (std::filesystem::path(folder) / kOraclePosteriorFile).string();
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::unordered_map<int64_t, double> posteriors;
  std::string line;
  int64_t line_number = 1;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const size_t comma = line.find(',');
    try {
      if (comma == std::string::npos) throw std::invalid_argument("no comma");
      size_t used = 0;
      const int64_t id = std::stoll(line.substr(0, comma), &used);
      const double posterior = std::stod(line.substr(comma + 1));
      if (used != comma || !(posterior >= 0 && posterior <= 1)) {
        throw std::invalid_argument("out of range");
      }
      posteriors[id] = posterior;
    } catch (const std::exception&) {
      throw DataError(
          path, line_number, 0,
          "expected customer_id,posterior with a posterior from 0 to 1, got '" + line + "'");
    }
  }
  return posteriors;
}

}  // namespace attnsweep
