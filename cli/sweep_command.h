// What `run` and `resume` share: their sweep options, and running a batch whose lease rank 0 holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/job_plan.h"
#include "workers/sweep.h"

namespace CLI {
class App;
}

namespace attnsweep {

// `job_timeout` and `job_memory` receive the texts of --job-timeout and --job-memory;
// ApplySweepOptions parses them into `settings`.
void AddSweepOptions(CLI::App* command, SweepSettings* settings, std::string* job_timeout,
                     std::string* job_memory);
// False, with the reason printed, when --job-timeout or --job-memory do not parse.
bool ApplySweepOptions(const std::string& job_timeout, const std::string& job_memory,
                       const std::string& db_path, SweepSettings* settings);

// Prepares, once and before anything runs, the data that the jobs of these plans read (each plan
// says which): bad data is reported now, and the jobs then load the cached preparation instead of
// racing to build it. False, with the reason printed, on bad data.
bool PrepareJobsData(const std::vector<JobPlan>& plans);

// Rank 0 with the batch's lease: runs its pending jobs over every rank and says how it ended.
// Returns the exit code.
// "3 failed: 2 crash, 1 oom": the batch's failed jobs by kind.
std::string FailuresByKind(ResultStore& store, int64_t batch_id);
// How to run a batch's failed jobs again, and where to read why they failed.
std::string RetryFailedHint(int64_t batch_id, const std::string& db_path);

int CoordinateAndReport(SweepRanks& ranks, ResultStore& store, int64_t batch_id,
                        const SweepSettings& settings, const std::string& db_path);

}  // namespace attnsweep
