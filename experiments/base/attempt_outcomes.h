// Every way an attempt can end, once: the name the store keeps in attempts.outcome, what it means
// for the job's retry budget, and who decides it. The job contract names outcomes from this table
// (JobOutcomeName), the store counts attempts with it (store/attempt_outcomes.h), and the scheduler
// retries by it. Header-only and in the bottom layer, so store/ and experiments/ can both read it.
//
// A new row needs a migration that widens the CHECK on attempts.outcome (store/schema.cc): stores
// refuse a name their CHECK does not list, and
// StoreTest.AttemptsTakeEveryOutcomeOfTheTableAndNoOther fails until the migration is there.
#pragma once

#include <optional>
#include <string_view>

namespace attnsweep {

// How an attempt ended, as a job's output says it (JobOutput::outcome): the outcomes the job, or
// the worker watching its process, decides. The coordinator's own outcomes (lost, abandoned,
// rank_died) have rows in kAttemptOutcomes but no value here: no job ever reports them. kTimeout
// stays last: the check below the table walks the values up to it.
enum class JobOutcome {
  kDone,
  kError,
  kOom,
  kDiverged,
  kInvalid,
  kInterrupted,
  kCrash,
  kKilled,
  kWorkerFault,
  kTimeout
};

// What an ending means for the job's retry budget (max_attempts).
enum class OutcomeRetry {
  kFinal,    // the job would only do the same again: it is not run again
  kCounted,  // the job's fault or the machine's, nobody can tell which: run again while the job
             // has attempts left, so a job that keeps taking its process or rank down ends failed
  kFree,     // nothing the job did: run again, never counted
};

// Who decides that an attempt ended so.
enum class OutcomeDecider {
  kJob,          // the job itself, in whatever process runs it (experiments/job_runner.cc)
  kWatcher,      // the worker that watches the job's process (workers/worker.cc)
  kCoordinator,  // the coordinator, or resume after it, from what it saw of the worker ranks
};

struct AttemptOutcome {
  const char* name;               // as stored in attempts.outcome
  std::optional<JobOutcome> job;  // as a job's output says it; none for the coordinator's own
  OutcomeRetry retry;
  OutcomeDecider decided_by;
};

inline constexpr AttemptOutcome kAttemptOutcomes[] = {
    // It ran to the end and reported its figures.
    {"done", JobOutcome::kDone, OutcomeRetry::kFinal, OutcomeDecider::kJob},
    // It threw: the same config throws again.
    {"error", JobOutcome::kError, OutcomeRetry::kFinal, OutcomeDecider::kJob},
    // Its allocations failed (or its watcher saw it pass its memory cap, or the kernel's OOM
    // killer end it): the same memory runs out again.
    {"oom", JobOutcome::kOom, OutcomeRetry::kFinal, OutcomeDecider::kJob},
    // Its loss or a figure was NaN or infinite: the same seed diverges again.
    {"diverged", JobOutcome::kDiverged, OutcomeRetry::kFinal, OutcomeDecider::kJob},
    // It refused its config before computing anything.
    {"invalid", JobOutcome::kInvalid, OutcomeRetry::kFinal, OutcomeDecider::kJob},
    // It saw stop_requested (or was stopped by its watcher, or its coordinator) because the sweep
    // was stopped: not the job's doing.
    {"interrupted", JobOutcome::kInterrupted, OutcomeRetry::kFree, OutcomeDecider::kJob},
    // Its process died by a signal, or exited without a result: the job's bug or the machine's.
    {"crash", JobOutcome::kCrash, OutcomeRetry::kCounted, OutcomeDecider::kWatcher},
    // A SIGKILL that neither the worker nor (as far as the job's memory cgroup tells) the kernel's
    // OOM killer sent: a user's or a watchdog's, maybe because of what the job did.
    {"killed", JobOutcome::kKilled, OutcomeRetry::kCounted, OutcomeDecider::kWatcher},
    // Its worker's machinery failed, not the job: the job launcher died (before the job's process
    // started, or under it), a pipe, a log or a process could not be made. The job runs again,
    // elsewhere if it can, never counted; a worker that fails so again and again leaves.
    {"worker_fault", JobOutcome::kWorkerFault, OutcomeRetry::kFree, OutcomeDecider::kWatcher},
    // It ran past its time limit and was killed: a hang, or a slow machine.
    {"timeout", JobOutcome::kTimeout, OutcomeRetry::kCounted, OutcomeDecider::kWatcher},
    // Its worker went silent past the heartbeat limit: the job may have hung its rank.
    {"lost", std::nullopt, OutcomeRetry::kCounted, OutcomeDecider::kCoordinator},
    // Its coordinator died (or the store failed) while the job ran in a process of its own: the
    // job did not bring it down.
    {"abandoned", std::nullopt, OutcomeRetry::kFree, OutcomeDecider::kCoordinator},
    // Its worker rank (inproc: the coordinator's own process) died while running it: the job may
    // have brought it down.
    {"rank_died", std::nullopt, OutcomeRetry::kCounted, OutcomeDecider::kCoordinator},
};

// The row named `name`, or nullptr for a name that is not an outcome.
constexpr const AttemptOutcome* FindAttemptOutcome(std::string_view name) {
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    if (name == row.name) return &row;
  }
  return nullptr;
}

// The row of a job's outcome (never nullptr: the checks below hold every value to a row).
constexpr const AttemptOutcome* FindAttemptOutcome(JobOutcome outcome) {
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    if (row.job && *row.job == outcome) return &row;
  }
  return nullptr;
}

namespace attempt_outcomes_internal {
// Every JobOutcome has exactly one row, and a row has a JobOutcome exactly when the coordinator
// does not decide it.
constexpr bool EveryJobOutcomeHasOneRow() {
  for (int value = 0; value <= static_cast<int>(JobOutcome::kTimeout); ++value) {
    int rows = 0;
    for (const AttemptOutcome& row : kAttemptOutcomes) {
      rows += row.job && static_cast<int>(*row.job) == value ? 1 : 0;
    }
    if (rows != 1) return false;
  }
  return true;
}
constexpr bool OnlyTheCoordinatorsOwnLackAJobOutcome() {
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    if (row.job.has_value() == (row.decided_by == OutcomeDecider::kCoordinator)) return false;
  }
  return true;
}
constexpr bool NamesAreUnique() {
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    if (FindAttemptOutcome(row.name) != &row) return false;
  }
  return true;
}
}  // namespace attempt_outcomes_internal

static_assert(attempt_outcomes_internal::EveryJobOutcomeHasOneRow());
static_assert(attempt_outcomes_internal::OnlyTheCoordinatorsOwnLackAJobOutcome());
static_assert(attempt_outcomes_internal::NamesAreUnique());

}  // namespace attnsweep
