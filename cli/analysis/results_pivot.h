// `attnsweep results --pivot KEY`: one grouping key's values as columns, so that variants ×
// lengths read at a glance.
#pragma once

#include <string>

#include "cli/analysis/results_aggregate.h"
#include "cli/output_format.h"

namespace attnsweep {

// `results` must be grouped by `key` among others. Rows are the groups of the other keys, in
// order of first appearance; columns are the other keys, then one per value of `key` (numbers in
// ascending order, text in order of first appearance) — per metric and value ("fwd_ms@256") when
// there are several metrics. A cell is the mean (± std for people, where there are several
// samples), or where no job of the cell is done the kinds its jobs failed with ("OOM").
Table PivotResults(const ResultsTable& results, const std::string& key, OutputFormat format);

}  // namespace attnsweep
