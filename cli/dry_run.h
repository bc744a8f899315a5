// `run --dry-run`: the grid's jobs as a table with what each would cost, and what the whole would
// take on the ranks the run would have — nothing run or stored.
#pragma once

#include <string>

#include "experiments/grid.h"

namespace attnsweep {

// Prints the jobs (the keys that tell them apart, each job's estimated seconds and what the
// estimate rests on; with `reuse`, the batch whose done result a job would take) to stdout in
// `format`, and the totals to the log: the work, the time on `workers` worker ranks, and how many
// jobs already have a done result in the store at `db_path` (read where it exists, never written).
void PrintDryRun(const Grid& grid, const std::string& db_path, bool reuse, int workers,
                 const std::string& format);

}  // namespace attnsweep
