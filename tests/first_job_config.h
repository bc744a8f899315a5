// For tests that run one job through RunJob: the resolved config of the first job of a grid
// written inline (a failed expectation lists the grid's problems), or of a one-experiment grid of a
// task, and a job's metrics by name.
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

// The first job of a grid of one experiment, t, of `task`: `defaults` is the body of the grid's
// defaults section (its lines indented by two), `params` the experiment's params, on a line of
// their own after "params:" (lines after the first indented by six).
inline nlohmann::json TaskJobConfig(const std::string& task, const std::string& defaults,
                                    const std::string& params) {
  return FirstJobConfig("defaults:\n" + defaults + "experiments:\n  - name: t\n    task: " + task +
                        "\n    params:\n      " + params + "\n");
}

inline std::map<std::string, double> MetricsByName(const JobOutput& output) {
  return {output.metrics.begin(), output.metrics.end()};
}

}  // namespace attnsweep
