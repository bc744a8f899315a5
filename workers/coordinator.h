// Rank 0's side of the protocol: hands out a batch's pending jobs to workers in the scheduler's
// order (scheduler.h), and writes each start and result to the store in group commits
// (store/write_queue.h). A single-threaded event loop (RunOnce) that polls for messages when idle
// (poll_wait.h), so it neither spins a core nor makes a worker wait for its next job. It reads each
// job's plan, never its config, which it passes on as it was stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/result_store.h"
#include "store/write_queue.h"
#include "workers/cost_model.h"
#include "workers/progress.h"
#include "workers/scheduler.h"
#include "workers/stopping_decisions.h"
#include "workers/transport.h"

namespace attnsweep {

struct CoordinatorOptions {
  std::string lease_owner;  // "host:pid", held on the batch while it runs
  double lease_ttl_s = 30;
  double lease_renew_s = 5;
  // A busy worker not heard from for this long has lost its attempt; the job goes to another
  // worker.
  double worker_timeout_s = 60;
  double stop_poll_s = 1;  // how often the store is asked whether `attnsweep stop` was run
  // Attempts that end with a counted outcome (experiments/base/attempt_outcomes.h) before a job
  // counts as failed.
  int max_attempts = 2;
  // How jobs run, unless their experiment's `limits` say otherwise. isolation: process | host |
  // inproc | auto (inproc for sleep jobs without a time or memory limit, process for the rest).
  std::string isolation = "auto";
  double job_timeout_s = 0;      // 0: none
  int64_t job_memory_bytes = 0;  // 0: no cap
  // Each attempt's output is appended to <log_root>/<batch>/<job>.log; empty: not kept.
  std::string log_root;
  // Jobs that checkpoint (train) keep <checkpoint_root>/<job_key>.pt; empty: none.
  std::string checkpoint_root;
  std::function<bool()> interrupt_requested = [] { return false; };  // SIGINT/SIGTERM
  std::function<bool()> drain_requested = [] { return false; };      // SIGUSR1
  // The one-rank run: the worker is a thread of the coordinator's process, recorded as its rank.
  bool worker_in_process = false;
  // When the sweep is interrupted, how long a worker on another host has to show it is alive (a
  // signalled worker answers at once) before its job counts as having taken it down. Under 1 s:
  // when a rank dies, mpirun sends the others SIGTERM and, 1 s later, SIGKILL
  // (odls_base_sigkill_timeout); with 1.5 s rank 0 was killed before it could blame anyone.
  double rank_death_grace_s = 0.5;
  // Group commit: how long a start or result may wait for the store, and how many may wait.
  WriteQueueOptions store_writes;
};

// kNoWorkers: no worker rank is left that can run a job (each refused --device, or went silent);
// the batch waits for resume.
enum class SweepEnd { kFinished, kInterrupted, kDrained, kLeaseLost, kNoWorkers };

struct SweepReport {
  SweepEnd end = SweepEnd::kFinished;
  int64_t started = 0;  // attempts handed out
  int64_t done = 0;
  int64_t failed = 0;
  int64_t lost = 0;              // attempts given up on (silent worker)
  int64_t rank_died = 0;         // attempts whose worker rank died while running them
  int64_t stale_dropped = 0;     // results that arrived for an attempt no longer current
  int exit_code = 0;             // what every rank exits with
  std::vector<int> ranks_used;   // ranks that ran at least one attempt
  double wall_s = 0;             // Run()'s duration
  double coordinator_cpu_s = 0;  // CPU time of the coordinator's thread during Run()
  int64_t store_groups = 0;      // transactions the starts and results were written in
  int64_t store_writes = 0;      // starts, results and failures written
};

class Coordinator {
 public:
  // The batch must be `running` with its lease held by options.lease_owner.
  Coordinator(Transport& transport, ResultStore& store, int64_t batch_id,
              CoordinatorOptions options);

  // One turn of the loop: handle arrived messages, check signals, timeouts and the lease, hand out
  // work. Returns false once the sweep has ended and the workers were told to shut down.
  bool RunOnce();
  // RunOnce until the end, polling for messages between idle turns.
  const SweepReport& Run();
  const SweepReport& report() const { return report_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Worker {
    std::string host;
    int pid = 0;
    int threads = 0;
    int node_threads = 0;             // every worker's on its node together
    std::string device;               // "cpu", "cuda:N"
    std::string unit;                 // what its exclusive jobs hold: its node, or its GPU
    bool dead = false;                // gave up on it: never assigned again
    int faults_in_a_row = 0;          // attempts its machinery ended (worker_fault), in a row
    std::optional<ScheduledJob> job;  // the job it runs; empty when idle
    int attempt = 0;
    std::optional<JobProgress> progress;  // how far that attempt has got, as it last said
    Clock::time_point last_heard;
    Clock::time_point started;
  };

  void Handle(int source, const Message& message);
  void HandleResult(int source, Worker& worker, const Message& message);
  // A heartbeat's progress, when it is news of the worker's current attempt: kept for the ETA and
  // queued for the store.
  void NoteProgress(int rank, Worker& worker, const Message& heartbeat);
  // At a decision epoch of a job under a `scheduler:`, decides whether it goes on, stores the
  // decision and tells the worker at `rank`, whose job waits for it.
  void DecideOnStopping(int rank, Worker& worker);
  // Tells the store how many nodes (exclusive units) the live workers are on, when that changed.
  void RecordNodes();
  void AssignWork();
  void CheckSilentWorkers(Clock::time_point now);
  // The job leaves `worker`, which is idle again.
  void EndAttempt(Worker& worker);
  // `label` names the job in progress lines.
  void Queue(JobRecord record, std::string label);
  // Threads a job gets: the worker's own share, or, for a job that has the node to itself, the
  // node's (every worker's share there, as the worker reported it: the others may not have said
  // hello yet).
  int ThreadsFor(const JobPlan& plan, const Worker& worker) const;
  // Records, for the job just started and every job beside it on its node (its GPU, for jobs on
  // GPUs), how many jobs ran there at once during their attempts (the metric node_jobs).
  void NoteNodeSharing(const std::string& unit);
  // Every worker rank said hello and none of them can run a job.
  bool NoWorkerLeft() const;
  Message AssignmentFor(const ScheduledJob& job, int attempt, int threads) const;
  // Seconds until the batch is done, by the cost model; nullopt before any worker said hello.
  std::optional<double> EtaSeconds() const;
  void KeepLog(const Worker& worker, int rank, const Message& result);
  void Interrupt();
  struct RunningAttempt {
    int rank;
    int64_t job_id;
    int attempt;
    int max_attempts;
  };
  // After an interrupt: the attempts in `in_flight` whose worker rank is dead end as rank_died.
  // Answers read meanwhile go to the logs of the attempts in `unlogged`, which leave it.
  void BlameDeadRanks(std::vector<RunningAttempt> in_flight, std::vector<RunningAttempt>* unlogged);
  // After an interrupt: waits (a second at most) for the cancelled attempts still in `unlogged` to
  // answer, and keeps their output in their logs.
  void KeepLogsOfCancelled(std::vector<RunningAttempt>* unlogged);
  // The messages that have arrived since an interrupt: each rank heard from leaves `unheard`; a
  // result of an attempt in `unlogged` goes to its log and the attempt leaves `unlogged`.
  void ReadAnswersAfterInterrupt(std::vector<RunningAttempt>* unheard,
                                 std::vector<RunningAttempt>* unlogged);
  void Finish(SweepEnd end);
  // A store error is ending the sweep: the attempts running in the store end `abandoned`, if the
  // store takes that write (else resume finds them running, as after a crash).
  void AbandonAfterStoreError(const std::string& error);
  int InFlight() const;
  // Attempts of the job that count against its retry budget (the counted outcomes of
  // experiments/base/attempt_outcomes.h), from the store once the queued writes are in.
  int CountedAttempts(int64_t job_id);
  // When RunOnce must run again even if no message comes: the queued writes' deadline, and the
  // timers (lease, stop requests, silent workers, signals).
  Clock::time_point NextWake() const;
  std::map<int64_t, int> node_jobs_;  // job id -> most jobs its node ran at once during it

  Transport& transport_;
  ResultStore& store_;
  int64_t batch_id_;
  CoordinatorOptions options_;
  CostModel cost_model_;  // learned from every done job in the store, and from this sweep's
  Scheduler scheduler_;
  WriteQueue writes_;
  StoppingDecisions stopping_;
  // Attempts each job of the batch has had, stored or queued: the number its next start gets.
  std::map<int64_t, int> attempts_;
  std::map<int, Worker> workers_;  // by rank, once they said hello
  int nodes_recorded_ = 0;         // what RecordNodes last told the store
  std::unique_ptr<ProgressLine> progress_;
  SweepReport report_;
  bool draining_ = false;
  bool finished_ = false;
  bool progressed_ = false;
  Clock::time_point last_lease_renewal_ = Clock::now();
  Clock::time_point last_stop_poll_ = Clock::now();
};

}  // namespace attnsweep
