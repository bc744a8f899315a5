// For tests that run one job through RunJob: the resolved config of the first job of a grid
// written inline (a failed expectation lists the grid's problems), and a job's metrics by name.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/job_runner.h"
#include "tests/grid_test_util.h"

namespace attnsweep {

inline nlohmann::json FirstJobConfig(const std::string& grid_yaml) {
  const Grid grid = MustParse(grid_yaml);
  return grid.jobs.empty() ? nlohmann::json() : grid.jobs.front().config;
}

inline std::map<std::string, double> MetricsByName(const JobOutput& output) {
  return {output.metrics.begin(), output.metrics.end()};
}

}  // namespace attnsweep
