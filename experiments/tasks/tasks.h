// The task implementations behind RunJob, and what a task may throw. Each task fills `output` or
// throws; RunJob turns exceptions into outcomes.
#pragma once

#include <stdexcept>

#include <nlohmann/json_fwd.hpp>

#include "experiments/job_runner.h"
#include "experiments/registry.h"

namespace attnsweep {

// Thrown when the job saw stop_requested(): the attempt ends as `interrupted`.
struct JobInterrupted : std::runtime_error {
  JobInterrupted() : std::runtime_error("interrupted") {}
};

// Thrown when training blows up (a loss that is NaN or infinite): the attempt ends as `diverged`.
struct JobDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown for a config the task refuses before computing anything: the attempt ends as `invalid`.
struct InvalidJobConfig : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether a failure is running out of memory: LibTorch's out-of-memory error (CUDA's), or the CPU
// allocator's refusal, which LibTorch reports as a plain error.
bool IsOutOfMemory(const std::exception& error);

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
