// Jobs as rows, one per job, for `export` (every config key and metric) and `jobs` (what happened
// to each).
#pragma once

#include <string>
#include <vector>

#include "cli/output_format.h"
#include "store/result_store.h"

namespace attnsweep {

// Columns: job_id, batch_id, experiment, status, error_kind, attempts, rank, host, seconds (wall
// time of the last attempt), reused_from, then every config key (dotted, sorted) any job has, then
// every metric (sorted) any job has. Missing cells are null.
Table ExportTable(const std::vector<JobRecord>& jobs);

// Columns: job, (batch, when several), experiment, the keys that tell the jobs apart, status, kind
// (the failure's kind; "reused" for a reused result; "stopped" for a job an early-stopping decision
// ended, its progress then "stopped at epoch k" and the decision's reason from `decisions`),
// attempts, rank, host, seconds, progress (how far it got, ProgressText), error (its first line).
// Only jobs with `status` are rows (all when empty); the key columns are those that vary among all
// the jobs, so that a filtered table still says which job is which.
Table JobsTable(const std::vector<JobRecord>& jobs, const std::string& status = "",
                const std::vector<RungDecisionRecord>& decisions = {});

// The running ones of `jobs`: job, the keys that tell `jobs` apart, rank, host, progress, running_s
// (seconds since its attempt started).
Table RunningJobsTable(const std::vector<JobRecord>& jobs);

// "epoch 3/10, val_auc 0.7123" from a job's stored progress (JobRecord::progress); "" for none.
std::string ProgressText(const std::string& progress);

// The first line of an error message, without trailing blanks.
std::string FirstLine(const std::string& text);

}  // namespace attnsweep
