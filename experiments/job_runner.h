// Runs one job from its resolved config and reports what happened. Free of LibTorch in its
// interface, so callers (the workers) do not compile against it.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
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

// How far a running job has got, as it says after each epoch (train, next_event): `status` and
// `jobs` show it, and the ETA counts the epochs it has left at the pace it has kept.
struct JobProgress {
  int64_t epoch = 0;        // epochs done, this one included
  int64_t epochs = 0;       // epochs it runs at most (early stopping may end it sooner)
  int64_t first_epoch = 1;  // the epoch this attempt began with: past 1 for a resumed job
  // The validation figure early stopping follows, named as its curve is (val_auc), and its value.
  std::string metric;
  double value = std::numeric_limits<double>::quiet_NaN();

  // The same report (a NaN value equals a NaN): what the worker need not send again.
  bool operator==(const JobProgress& o) const {
    return epoch == o.epoch && epochs == o.epochs && first_epoch == o.first_epoch &&
           metric == o.metric && (value == o.value || (std::isnan(value) && std::isnan(o.value)));
  }
  bool operator!=(const JobProgress& other) const { return !(*this == other); }
};

struct JobContext {
  int threads = 1;  // intra-op threads the job may use
  // Where its tensors live: "cpu", or "cuda:N" (N among the GPUs this process sees).
  std::string device = "cpu";
  // Polled between units of work (benchmark passes, sleep slices); true asks the job to stop early.
  std::function<bool()> stop_requested = [] { return false; };
  // Where a job that checkpoints (train) keeps its state between attempts; "": it keeps none.
  std::string checkpoint_path;
  // Called by the job, on the thread it runs on, after each epoch. The runner passes it on to the
  // worker (another thread, or another process): it must be cheap and must not throw.
  std::function<void(const JobProgress&)> report_progress = [](const JobProgress&) {};
};

struct JobCurvePoint {
  int64_t step;
  std::string name;
  double value;
};

// A test example's label and the job's score for it (train: a customer's predicted probability),
// kept so that two jobs can be compared on the same examples (results --compare).
struct JobPrediction {
  int64_t example;  // the customer id
  int label;
  double score;
};

struct JobOutput {
  JobOutcome outcome = JobOutcome::kDone;
  std::string error;  // why, when the outcome is not done
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<JobCurvePoint> curves;
  std::vector<JobPrediction> predictions;
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
