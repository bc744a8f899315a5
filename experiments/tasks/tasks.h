// The built-in tasks behind RunJob. Each task fills `output` or throws (job_contract.h says what);
// RunJob turns exceptions into outcomes.
#pragma once

#include "experiments/job_contract.h"
#include "experiments/registry.h"

namespace attnsweep {

// The built-in tasks' registry entries (builtins.cc lists them).
TaskDefinition SleepTask();
// Fails as fault.kind says, for real (a segfault is a real null dereference): for testing
// isolation.
TaskDefinition FaultTask();
TaskDefinition BenchmarkTask();
TaskDefinition TrainTask();
TaskDefinition NextEventTask();
TaskDefinition ApproximationTask();

}  // namespace attnsweep
