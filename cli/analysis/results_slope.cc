#include "cli/analysis/results_slope.h"

#include <algorithm>

#include "cli/analysis/loglog_fit.h"

namespace attnsweep {

std::vector<SlopeRow> FitSlopes(const ResultsTable& results, const std::string& key) {
  const size_t column = std::find(results.by.begin(), results.by.end(), key) - results.by.begin();
  std::vector<SlopeRow> rows;
  std::map<std::string, size_t> row_of;
  std::vector<std::map<std::string, std::vector<std::pair<double, double>>>> points;
  std::vector<std::map<std::string, int>> noisy_points;
  for (const auto& group : results.groups) {
    std::vector<nlohmann::json> others;
    for (size_t k = 0; k < group.key_values.size(); ++k) {
      if (k != column) others.push_back(group.key_values[k]);
    }
    auto [it, inserted] = row_of.emplace(nlohmann::json(others).dump(), rows.size());
    if (inserted) {
      rows.push_back({others, {}, 0, ""});
      points.emplace_back();
      noisy_points.emplace_back();
    }
    const nlohmann::json& x = group.key_values[column];
    if (!x.is_number()) continue;
    bool any = false;
    for (const auto& metric : results.metrics) {
      auto found = group.metrics.find(metric);
      if (found == group.metrics.end()) continue;
      points[it->second][metric].push_back({x.get<double>(), found->second.mean});
      noisy_points[it->second][metric] += group.noisy.count(metric) ? 1 : 0;
      any = true;
    }
    rows[it->second].points += any;
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    for (const auto& metric : results.metrics) {
      const auto& fitted = points[r][metric];
      rows[r].slopes[metric] = LogLogSlope(fitted);
      std::string caveat;
      if (noisy_points[r][metric] > 0) {
        caveat = std::to_string(noisy_points[r][metric]) + " of " + std::to_string(fitted.size()) +
                 " points noisy";
      } else if (!fitted.empty() && static_cast<int>(fitted.size()) < kFewestPointsToTrust) {
        caveat = std::to_string(fitted.size()) + (fitted.size() == 1 ? " point" : " points");
      }
      if (!caveat.empty())
        rows[r].caveat += (rows[r].caveat.empty() ? "" : "; ") + metric + ": " + caveat;
    }
  }
  return rows;
}

Table SlopeTable(const ResultsTable& results, const std::string& key) {
  Table table;
  for (const auto& name : results.by) {
    if (name != key) table.columns.push_back(name);
  }
  for (const auto& metric : results.metrics) table.columns.push_back(metric + "_slope");
  table.columns.push_back("points");
  table.columns.push_back("caveat");
  for (const SlopeRow& row : FitSlopes(results, key)) {
    std::vector<nlohmann::json> cells = row.others;
    for (const auto& metric : results.metrics) {
      const auto& slope = row.slopes.at(metric);
      cells.push_back(slope ? nlohmann::json(*slope) : nlohmann::json());
    }
    cells.push_back(row.points);
    cells.push_back(row.caveat.empty() ? nlohmann::json() : nlohmann::json(row.caveat));
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace attnsweep
