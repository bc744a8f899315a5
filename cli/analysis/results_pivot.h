// `attnsweep results --pivot KEY`: one grouping key's values as columns, so that variants ×
// lengths read at a glance.
#pragma once

#include <map>
#include <string>

#include "cli/analysis/results_aggregate.h"
#include "cli/output_format.h"

namespace attnsweep {

// `results` must be grouped by `key` among others. Rows are the groups of the other keys, in
// order of first appearance; columns are the other keys, then one per value of `key` (numbers in
// ascending order, text in order of first appearance) — per metric and value ("fwd_ms@256") when
// there are several metrics. A cell is the mean (± std for people, where there are several
// samples), or where no job of the cell is done the kinds its jobs failed with ("OOM").
// `heads` names values whose text is not what a reader knows them by (batch ids: their names).
Table PivotResults(const ResultsTable& results, const std::string& key, OutputFormat format,
                   const std::map<std::string, std::string>& heads = {});

// The pivot table with each metric's log-log slope against `key` (SlopeTable's figures) as its
// last columns, and the fits' caveats after them where any has one. Rows line up: both tables
// take their rows from the groups of the other keys, in order of first appearance.
Table PivotWithSlopes(const ResultsTable& results, const std::string& key, OutputFormat format);

}  // namespace attnsweep
