// The results of sweeps in one SQLite file: batches, their jobs, every attempt, metrics and curves.
//
// During a sweep only the coordinator writes. A result is accepted only for the job's current
// attempt (its fencing token), in one transaction with the job's status change, so a late result of
// an abandoned attempt can never overwrite or duplicate the accepted one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/sqlite_handle.h"

namespace attnsweep {

struct NewBatch {
  std::string name;
  std::string grid_yaml;  // the grid text the batch was started from; resume reads it, not the file
  std::string grid_path;
  std::string host;
  std::string git_rev;
  std::string versions;  // JSON object: component -> version
  std::string description;
  std::vector<std::string> tags;
  // The command line's overrides the grid was expanded with (`train.lr=0.01,0.03`), as given.
  std::vector<std::string> overrides;
};

struct NewJob {
  std::string experiment;
  std::string job_key;
  std::string config;  // canonical JSON
  double cost = 0;     // the analytic estimate, seconds on one core
  std::string limits =
      "{}";          // JSON: the experiment's isolation, timeout_s, memory_bytes, max_attempts
  std::string plan;  // JSON: how the job runs (experiments/job_plan.h); "" for none
  std::string data_fingerprint;  // the data its key was made with; "" when it reads none
};

// Where an attempt runs.
struct AttemptPlace {
  int rank = 0;
  std::string host;
  std::string device;
  int threads = 0;
  std::string isolation;  // process | host | inproc
};

struct Metric {
  std::string name;
  double value;
};

struct CurvePoint {
  int64_t step;
  std::string name;
  double value;
};

// An early-stopping decision about a job at one epoch (table `rung_decisions`), with what it
// rested on: the job's figure, and how many of its group had reached that epoch and done better.
struct RungDecisionRecord {
  int64_t job_id = 0;
  int attempt = 0;  // the attempt that asked
  int64_t epoch = 0;
  std::string group;
  std::string rule;  // JSON: the scheduler's rule (experiments/job_plan.h's EarlyStopping)
  std::string metric;
  double value = 0;
  bool go_on = true;
  int64_t reached = 0;
  int64_t better = 0;
  std::optional<int64_t> allowed;  // asha: how many of those reached go on
  std::optional<double> threshold;
  std::string reason;
  std::string decided_at;  // read back only
};

// A test example's label and a job's score for it (table `predictions`): what pairs two jobs'
// results on the same customers.
struct Prediction {
  int64_t example;
  int label;
  double score;
};

// The batch fields resume needs: what it was started from.
struct BatchRecord {
  int64_t id = 0;
  std::string name;
  std::string grid_yaml;
  std::string grid_path;
  std::string status;
  std::string lease_owner;  // empty when no coordinator holds it
  std::string lease_expires;
  bool lease_live = false;  // held and not expired
};

// Which batch a job belongs to and where it stands: what `attnsweep logs` needs to find its log.
struct JobLocation {
  int64_t batch_id = 0;
  std::string status;
  std::string isolation;  // of its last attempt; "" before it ran
};

struct LeaseClaim {
  bool acquired = false;
  bool took_over = false;  // the previous holder was dead or its lease expired
  std::string holder;      // when refused: who holds it
  std::string expires;     // when refused: until when
};

struct BatchSummary {
  int64_t id = 0;
  std::string name;
  std::string status;
  std::string created_at;
  std::string finished_at;
  std::string host;
  std::string git_rev;
  int64_t total = 0, pending = 0, running = 0, done = 0, failed = 0;
  int64_t reused = 0;           // done jobs whose result came from an earlier batch (run --reuse)
  double elapsed_s = 0;         // from creation to finish (or to now, when unfinished)
  double done_job_seconds = 0;  // summed duration of done jobs, for the ETA
  std::string description;
  std::vector<std::string> tags;
  std::vector<std::string> overrides;  // NewBatch::overrides
};

struct JobRecord {
  int64_t id = 0;
  int64_t batch_id = 0;
  std::string experiment;
  std::string job_key;
  std::string config;
  std::string status;
  int attempts = 0;
  double cost = 0;
  std::string limits = "{}";
  std::string plan;               // "" for jobs stored before plans were
  int64_t reused_from = 0;        // the job whose result this one reuses (run --reuse); 0: none
  int64_t reused_from_batch = 0;  // that job's batch
  std::string error_kind;
  std::string error;
  int rank = -1;  // where its last attempt ran; -1: never started
  std::string host;
  double seconds = -1;    // wall time from its last start to its finish; -1: not finished
  double running_s = -1;  // running: seconds since its attempt started; -1: not running
  // How far it got, as it last said (JSON, workers' business): "" when it said nothing.
  std::string progress;
  // The data its key was made with; "" when it reads none, or was stored before fingerprints were.
  std::string data_fingerprint;
  std::map<std::string, double> metrics;  // filled by JobsWithMetrics only
};

class ResultStore {
 public:
  // Opens (creating and migrating) a store for writing.
  static ResultStore OpenForWriting(const std::string& path);
  // Opens an existing store read-only, with writes refused even through SQL (see readonly_query.h).
  static ResultStore OpenReadOnly(const std::string& path);

  Database& db() { return db_; }

  // Creates the batch and all its jobs (pending) in one transaction; returns the batch id. With
  // `reuse`, a job whose key has a done result in any earlier batch is stored done at once, with a
  // copy of that result (metrics and curves) and reused_from naming it; no attempt is made for it.
  // `reused`, when given, receives how many were.
  int64_t CreateBatch(const NewBatch& batch, const std::vector<NewJob>& jobs, bool reuse = false,
                      int64_t* reused = nullptr);

  // Pending jobs of the batch, most expensive (by the stored estimate) first.
  std::vector<JobRecord> PendingJobs(int64_t batch_id);
  // The batch's jobs not done (pending, running, failed), without their metrics.
  std::vector<JobRecord> JobsNotDone(int64_t batch_id);

  // How long done jobs took, in every batch of the store: what the cost model learns from. Reused
  // results and jobs stored before plans were are left out.
  struct JobTime {
    std::string job_key;
    std::string plan;
    double seconds = 0;    // how long it took, or, running, how long it has run
    bool running = false;  // UnfinishedJobTimes: running, not pending
    // DoneJobTimes, and UnfinishedJobTimes for a running job: jobs.progress ("" for none)
    std::string progress;
  };
  std::vector<JobTime> DoneJobTimes();
  // The batch's jobs that are pending or running.
  std::vector<JobTime> UnfinishedJobTimes(int64_t batch_id);
  // The worker ranks the batch's current (or last) run has: for its ETA.
  void SetBatchWorkers(int64_t batch_id, int workers);
  int BatchWorkers(int64_t batch_id);
  // The nodes (GPUs, for jobs on GPUs) those workers are on, where jobs that need their node run
  // one at a time: for its ETA. 1 until a run has said.
  void SetBatchNodes(int64_t batch_id, int nodes);
  int BatchNodes(int64_t batch_id);

  // The three writes of an attempt's life take the time it happened (`at`), or now: a writer that
  // applies them later, in a group (store/write_queue.h), keeps the jobs' wall times true.
  using WallTime = std::chrono::system_clock::time_point;

  // Moves a pending job to running under a new attempt number, which it returns. Returns 0 if the
  // job was not pending (someone else took it).
  int StartAttempt(int64_t job_id, const AttemptPlace& place,
                   std::optional<WallTime> at = std::nullopt);

  // Stores a done result: metrics, curves, predictions, status and the attempt's outcome in one
  // transaction. Returns false, storing nothing, when `attempt` is not the job's current running
  // attempt.
  bool CommitResult(int64_t job_id, int attempt, const std::vector<Metric>& metrics,
                    const std::vector<CurvePoint>& curves,
                    std::optional<WallTime> at = std::nullopt,
                    const std::vector<Prediction>& predictions = {});

  // Keeps `progress` (JSON text; the store adds "at", the time it happened) as how far the job
  // has got. Fenced like CommitResult: false, storing nothing, unless `attempt` is the job's
  // current running attempt. StartAttempt clears it; the last one stays once the job ends.
  bool RecordProgress(int64_t job_id, int attempt, const std::string& progress,
                      std::optional<WallTime> at = std::nullopt);

  // Keeps an early-stopping decision. Fenced like CommitResult (false, storing nothing, unless
  // `attempt` is the job's current running attempt); a second decision about the same job and
  // epoch (a resumed attempt asking again) is not stored, and true is returned.
  bool RecordRungDecision(const RungDecisionRecord& decision);
  // The batch's decisions in the order they were made (none in a store older than schema 8).
  std::vector<RungDecisionRecord> RungDecisions(int64_t batch_id);

  // Ends an attempt that produced no result; `outcome` is one of attempts.outcome's kinds (error,
  // oom, diverged, invalid, interrupted, ...). `retry` puts the job back to pending; otherwise it
  // fails with `outcome` as its error_kind. Fenced like CommitResult.
  bool RecordFailure(int64_t job_id, int attempt, const std::string& outcome,
                     const std::string& message, bool retry,
                     std::optional<WallTime> at = std::nullopt, const std::string& error_kind = "");

  // Sets the batch's status: running, done, failed, interrupted or stopped (drained).
  void FinishBatch(int64_t batch_id, const std::string& status);
  std::optional<BatchRecord> FindBatchRecord(int64_t batch_id);
  // The grid file each batch was run from (absolute paths as stored; none empty).
  std::vector<std::string> GridPaths();
  // A job by its id (any batch); nullopt when the store has none.
  std::optional<JobLocation> FindJob(int64_t job_id);

  // --- Leases: one coordinator per batch. Times are UTC; `ttl_s` from now. ---
  // Takes the lease for `owner` when it is free, expired, already ours, or its holder is dead by
  // `holder_is_dead` (the store knows nothing of processes: the caller checks pids).
  LeaseClaim AcquireLease(int64_t batch_id, const std::string& owner, double ttl_s,
                          const std::function<bool(const std::string& holder)>& holder_is_dead);
  // Extends our lease; false when it is no longer ours.
  bool RenewLease(int64_t batch_id, const std::string& owner, double ttl_s);
  void ReleaseLease(int64_t batch_id, const std::string& owner);

  // Jobs left `running` by a coordinator that is gone return to pending. An attempt that ran in a
  // process of its own (a job process, or another rank) ends `abandoned`: the coordinator's death
  // was not its doing, and it does not count. One that ran inside the coordinator's own process
  // (one rank, inproc) may have brought it down: it ends `rank_died`, which counts, and a job with
  // `max_attempts` counted attempts fails as a crash (a poison job, so no batch loops forever).
  struct Requeued {
    int64_t abandoned = 0;
    int64_t suspects = 0;  // rank_died, run again
    int64_t poisoned = 0;  // rank_died, failed
  };
  Requeued RequeueRunning(int64_t batch_id, int max_attempts);
  // A sweep that a store error ends (a full disk, say) did not die: the attempts still `running`
  // in its batch end `abandoned` (free) and run again, so resume blames none of them. Nothing is
  // written unless the batch's lease is still `owner`'s (else another coordinator runs them).
  // Returns how many; throws StoreError when the store cannot take even this.
  int64_t AbandonRunning(int64_t batch_id, const std::string& owner, const std::string& why);
  // The attempt of a job whose worker rank died while running it (seen by the coordinator as the
  // sweep ended) is `rank_died`: counted, and the job fails as a crash once it has `max_attempts`
  // counted attempts. Returns false when the attempt already has another outcome than interrupted.
  bool MarkRankDied(int64_t job_id, int attempt, int max_attempts, const std::string& why);
  // Failed jobs back to pending (resume --retry-failed). Returns how many.
  int64_t RetryFailed(int64_t batch_id);
  // Attempts of a job that count against its retry budget (store/attempt_outcomes.h).
  int CountedAttempts(int64_t job_id);

  // `attnsweep stop`: asks the batch's coordinator to drain.
  void RequestStop(int64_t batch_id);
  bool StopRequested(int64_t batch_id);
  void ClearStopRequest(int64_t batch_id);

  // The newest batch that is not done or failed, for `resume` without an argument.
  std::optional<int64_t> LatestUnfinishedBatchId();

  std::vector<BatchSummary> ListBatches();
  std::optional<BatchSummary> FindBatch(int64_t batch_id);
  // The newest batch, or nullopt for an empty store.
  std::optional<int64_t> LatestBatchId();
  int64_t BatchCount();
  // A batch by its id ("3") or its name (the newest batch of that name).
  std::optional<int64_t> FindBatchId(const std::string& id_or_name);

  struct ExperimentCounts {
    std::string experiment;
    int64_t total = 0, pending = 0, running = 0, done = 0, failed = 0;
  };
  std::vector<ExperimentCounts> CountsByExperiment(int64_t batch_id);

  // Jobs of the batches with their metrics, by batch then id; `status` filters when not empty.
  std::vector<JobRecord> JobsWithMetrics(const std::vector<int64_t>& batch_ids,
                                         const std::string& status = "");
  std::vector<JobRecord> JobsWithMetrics(int64_t batch_id, const std::string& status = "") {
    return JobsWithMetrics(std::vector<int64_t>{batch_id}, status);
  }
  // For each of `job_keys` that has a done result of its own in the store (not a reused copy),
  // the batch of the newest such result: what `run --reuse` would take.
  std::map<std::string, int64_t> DoneResultBatches(const std::vector<std::string>& job_keys);
  // Ids of the batches' jobs that satisfy an SQL condition over the `wide` view's columns
  // (store/wide_view.h: CreateWideView first).
  std::vector<int64_t> JobIdsWhere(const std::vector<int64_t>& batch_ids,
                                   const std::string& condition);
  // The per-epoch series of these jobs (job id -> points by name, then step).
  std::map<int64_t, std::vector<CurvePoint>> Curves(const std::vector<int64_t>& job_ids);
  // A job's per-example test scores, by example; empty when it stored none.
  std::vector<Prediction> Predictions(int64_t job_id);

  // A batch's description and tags; nullopt leaves the description as it is.
  void SetBatchLabels(int64_t batch_id, const std::optional<std::string>& description,
                      const std::vector<std::string>& tags);
  // Deletes a batch with its jobs, attempts, metrics, curves and predictions in one transaction.
  // Jobs of other batches that reused its results keep their copies (their reused_from is cleared).
  // Returns the keys of its jobs that no other batch has (their checkpoints can go too).
  std::vector<std::string> DeleteBatch(int64_t batch_id);

 private:
  struct RunningAttempt {
    int64_t job_id;
    int attempt;
    bool in_coordinator;  // ran in the coordinator's own process: one rank (rank 0), inproc
  };
  std::vector<RunningAttempt> RunningAttempts(int64_t batch_id);
  // Ends a running attempt as rank_died: pending again, or failed as a crash (poison) when it has
  // no attempts left. Returns whether it runs again.
  bool RankDied(int64_t job_id, int attempt, int max_attempts, const std::string& why);

  explicit ResultStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace attnsweep
