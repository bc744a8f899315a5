// A grid's jobs as a table a person can read before running them (`run --dry-run`): one row per
// job, one column per key that tells the jobs apart.
#pragma once

#include <string>
#include <vector>

#include "cli/output_format.h"
#include "experiments/grid.h"

namespace attnsweep {

// Columns `experiment`, `job` (the first 12 hex digits of the job key), then every dotted config
// key (`model.attention`, `data.max_len`, `seed`) whose value is not the same in all jobs, in the
// order first seen. A key some jobs lack varies too; their cells are null. Keys every job shares
// are left out: they say nothing about how the jobs differ, and the whole config is too wide to
// read.
Table VaryingKeysTable(const std::vector<JobSpec>& jobs);

// "speed: 12 jobs, quality: 6 jobs; 18 in all", experiments in the order of their first job.
std::string JobCountsByExperiment(const std::vector<JobSpec>& jobs);

}  // namespace attnsweep
