#include "cli/analysis/results_pivot.h"

#include <algorithm>
#include <map>

#include "cli/analysis/results_slope.h"

namespace attnsweep {
namespace {

std::string ValueText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "none";
  return value.dump();
}

// Ascending numbers first, then the rest as they came.
std::vector<nlohmann::json> PivotValues(const ResultsTable& results, size_t column) {
  std::vector<nlohmann::json> values;
  for (const auto& group : results.groups) {
    const nlohmann::json& value = group.key_values[column];
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  std::stable_sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
    if (a.is_number() && b.is_number()) return a.template get<double>() < b.template get<double>();
    return a.is_number() && !b.is_number();
  });
  return values;
}

}  // namespace

Table PivotResults(const ResultsTable& results, const std::string& key, OutputFormat format,
                   const std::map<std::string, std::string>& heads) {
  const bool for_people = format == OutputFormat::kTable || format == OutputFormat::kMarkdown;
  const size_t pivot = std::find(results.by.begin(), results.by.end(), key) - results.by.begin();
  const std::vector<nlohmann::json> values = PivotValues(results, pivot);
  Table table;
  for (size_t k = 0; k < results.by.size(); ++k) {
    if (k != pivot) table.columns.push_back(results.by[k]);
  }
  const bool several = results.metrics.size() > 1;
  for (const auto& metric : results.metrics) {
    for (const auto& value : values) {
      const auto named = heads.find(ValueText(value));
      const std::string head = named == heads.end() ? ValueText(value) : named->second;
      table.columns.push_back(several ? metric + "@" + head : head);
    }
  }
  std::map<std::string, size_t> row_of;  // the other keys' values -> row
  for (const auto& group : results.groups) {
    std::vector<nlohmann::json> others;
    for (size_t k = 0; k < group.key_values.size(); ++k) {
      if (k != pivot) others.push_back(group.key_values[k]);
    }
    auto [it, inserted] = row_of.emplace(nlohmann::json(others).dump(), table.rows.size());
    if (inserted) {
      others.resize(table.columns.size());
      table.rows.push_back(std::move(others));
    }
    const size_t value_index =
        std::find(values.begin(), values.end(), group.key_values[pivot]) - values.begin();
    for (size_t m = 0; m < results.metrics.size(); ++m) {
      const size_t column = results.by.size() - 1 + m * values.size() + value_index;
      table.rows[it->second][column] = SummaryCell(group, results.metrics[m], for_people);
    }
  }
  return table;
}

Table PivotWithSlopes(const ResultsTable& results, const std::string& key, OutputFormat format) {
  Table table = PivotResults(results, key, format);
  const std::vector<SlopeRow> slopes = FitSlopes(results, key);
  const bool any_caveat = std::any_of(slopes.begin(), slopes.end(),
                                      [](const SlopeRow& row) { return !row.caveat.empty(); });
  for (const auto& metric : results.metrics) table.columns.push_back(metric + "_slope");
  if (any_caveat) table.columns.push_back("caveat");
  for (size_t r = 0; r < slopes.size() && r < table.rows.size(); ++r) {
    for (const auto& metric : results.metrics) {
      const auto& slope = slopes[r].slopes.at(metric);
      table.rows[r].push_back(slope ? nlohmann::json(*slope) : nlohmann::json());
    }
    if (any_caveat) {
      table.rows[r].push_back(slopes[r].caveat.empty() ? nlohmann::json()
                                                       : nlohmann::json(slopes[r].caveat));
    }
  }
  return table;
}

}  // namespace attnsweep
