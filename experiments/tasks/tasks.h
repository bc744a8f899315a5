// The built-in tasks behind RunJob. Each task fills `output` or throws (job_contract.h says what);
// RunJob turns exceptions into outcomes.
#pragma once

#include "experiments/job_contract.h"

namespace attnsweep {

// How the built-in tasks run (builtin_runners.cc attaches them to the descriptions in
// builtin_tasks.cc).
void RunSleepTask(const nlohmann::json& config, const JobContext& context, JobOutput* output);
// Fails as fault.kind says, for real (a segfault is a real null dereference): for testing
// isolation.
void RunFaultTask(const nlohmann::json& config, const JobContext& context, JobOutput* output);
void RunBenchmarkTask(const nlohmann::json& config, const JobContext& context, JobOutput* output);
void RunTrainTask(const nlohmann::json& config, const JobContext& context, JobOutput* output);
void RunNextEventTask(const nlohmann::json& config, const JobContext& context, JobOutput* output);
void RunApproximationTask(const nlohmann::json& config, const JobContext& context,
                          JobOutput* output);

}  // namespace attnsweep
