// The contract between a job and whatever runs it: what the job is given (JobContext), what it
// reports (JobProgress, JobOutput) and how it may end (JobOutcome, and the exceptions a task or a
// variant throws to end it so). The bottom of experiments/: it includes nothing of the project but
// experiments/base, so models, tasks, the registry and the workers can all speak it without knowing
// each other.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "experiments/base/attempt_outcomes.h"

namespace attnsweep {

// How a job may end (JobOutcome) is declared beside the table of every way an attempt ends
// (experiments/base/attempt_outcomes.h), which gives each its stored name, its retry rule and who
// decides it. The name the store keeps for `outcome` (attempts.outcome), from that table.
const char* JobOutcomeName(JobOutcome outcome);
// The outcome JobOutcomeName gives `name`, or nullopt for a name it never gives (the coordinator's
// own outcomes, lost, abandoned and rank_died, included: no job reports them).
std::optional<JobOutcome> JobOutcomeFromName(const std::string& name);

// How far a running job has got, as it says after each epoch (train, next_event): `status` and
// `jobs` show it, and the ETA counts the epochs it has left at the pace it has kept.
struct JobProgress {
  int64_t epoch = 0;   // epochs done, this one included
  int64_t epochs = 0;  // epochs it runs at most (early stopping may end it sooner)
  // The epoch this attempt began with: past 1 for a resumed job, and one past `epoch` while it
  // has run none of its own (the question a resumed attempt asks first, JobContext).
  int64_t first_epoch = 1;
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
  // Called on the job's thread after each epoch's report — and, by a resumed attempt, first of all
  // with the last epoch its checkpoint holds, so that a decision is asked again rather than lost:
  // false ends training there (an early-stopping decision on the group's figures, which may block
  // while it is made elsewhere). The job then tests its best epoch so far and ends done, with
  // stopped_at_epoch among its figures. The epoch reported is already in the checkpoint.
  std::function<bool(const JobProgress&)> continue_training = [](const JobProgress&) {
    return true;
  };
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

}  // namespace attnsweep
