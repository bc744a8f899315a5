// Runs one job from its resolved config and reports what happened. Free of LibTorch in its
// interface, so callers (the workers) do not compile against it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace attnsweep {

// How an attempt ended; the names are those of attempts.outcome in the store.
// kCrash, kKilled and kTimeout are decided by the worker that watches a job process, never by the
// job itself: kKilled is a SIGKILL that neither the worker nor (as far as the job's memory cgroup
// tells) the kernel's OOM killer sent. kTimeout stays last: JobOutcomeFromName walks the values up
// to it.
enum class JobOutcome {
  kDone,
  kError,
  kOom,
  kDiverged,
  kInvalid,
  kInterrupted,
  kCrash,
  kKilled,
  kTimeout
};
const char* JobOutcomeName(JobOutcome outcome);
// The outcome JobOutcomeName gives `name`, or nullopt for a name it never gives.
std::optional<JobOutcome> JobOutcomeFromName(const std::string& name);

struct JobContext {
  int threads = 1;  // intra-op threads the job may use
  // Where its tensors live: "cpu", or "cuda:N" (N among the GPUs this process sees).
  std::string device = "cpu";
  // Polled between units of work (benchmark passes, sleep slices); true asks the job to stop early.
  std::function<bool()> stop_requested = [] { return false; };
  // Where a job that checkpoints (train) keeps its state between attempts; "": it keeps none.
  std::string checkpoint_path;
};

struct JobCurvePoint {
  int64_t step;
  std::string name;
  double value;
};

struct JobOutput {
  JobOutcome outcome = JobOutcome::kDone;
  std::string error;  // why, when the outcome is not done
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<JobCurvePoint> curves;
};

// Never throws: every failure becomes an outcome with a message.
JobOutput RunJob(const nlohmann::json& config, const JobContext& context);

// "1.13.0", say: the LibTorch this binary was built against.
std::string LibTorchVersion();

// Installs what measuring needs before any job runs (the counting CPU allocator), tunes the heap
// for training's large short-lived buffers (heap_tuning.h) and flushes subnormal floats to zero.
// Idempotent.
void PrepareJobProcess();

// How many threads an at::parallel_for in this library's code runs on. ATen's loop is a header
// template: compiled without OpenMP (LibTorch's intra-op backend here) its pragma is dropped and
// the loop runs on the calling thread alone, as every parallel loop of ours (the exact kernels,
// the softmax) did until the build said -fopenmp. A test holds the build to at::get_num_threads().
int64_t ThreadsOfOurParallelLoops();

}  // namespace attnsweep
