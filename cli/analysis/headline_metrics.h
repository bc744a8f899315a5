// The figures a reader looks at first for each task (test AUC for train, times and peak memory for
// benchmark...): what `results` shows without --metrics and what the report's tables hold.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/result_store.h"

namespace attnsweep {

// The headline metrics of the jobs' tasks, in task order, restricted to `available` (the figures
// some job has).
std::vector<std::string> HeadlineMetrics(const std::vector<JobRecord>& jobs,
                                         const std::set<std::string>& available);

// The metric names the jobs have, with `seconds` (every finished job's wall time).
// The figures the tasks' stored per-example scores give (TaskDefinition::scored_metric).
std::set<std::string> ScoredMetrics();

std::set<std::string> AvailableMetrics(const std::vector<JobRecord>& jobs);

// The `task` of a job's config ("" when it has none).
std::string TaskOf(const JobRecord& job);

}  // namespace attnsweep
