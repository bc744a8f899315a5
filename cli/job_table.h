// A grid's jobs as a table a person can read before running them (`run --dry-run`): one row per
// job, one column per key that tells the jobs apart.
#pragma once

#include <string>
#include <vector>

#include "cli/output_format.h"
#include "experiments/grid.h"

namespace attnsweep {

// Columns `experiment`, `job` (the first 12 hex digits of the job key), then every dotted config
// key (`model.attention`, `data.max_len`, `seed`) that tells jobs apart, in the order first seen
// (`task` first, when it is a column).
// A key is a column when it takes at least two distinct values among the jobs that have it (so
// `task` is a column in a grid that mixes tasks). Cells of jobs that lack a column's key are
// null. A key with one value wherever it is set says nothing about how the jobs differ: a
// variant's own keys at their defaults (model.attention already tells the variants apart), or
// `bench.repeats` in a benchmark + sleep grid. The whole config is too wide to read.
Table VaryingKeysTable(const std::vector<JobSpec>& jobs);

// "speed: 12 jobs, quality: 6 jobs; 18 in all", experiments in the order of their first job.
std::string JobCountsByExperiment(const std::vector<JobSpec>& jobs);

}  // namespace attnsweep
