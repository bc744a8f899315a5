// Group commit for the coordinator: the writes of attempts' lives (start, result, failure) queue
// here and reach the store in one transaction once the oldest has waited `max_delay` or
// `max_writes` are queued, whichever comes first. One transaction per job state change capped a
// sweep of short jobs at a few hundred jobs a second; a group costs one commit for all of them and
// holds the write lock only while it is applied, so other writers (`attnsweep stop`, a sweep of
// another batch) still get their turn.
//
// The guarantees stay those of one transaction per write: each write is applied with its fence
// (the job's attempt number), in the order it was queued, and a group lands whole or not at all. A
// crash loses only the queued writes: their jobs are still pending, or running under an attempt
// that resume marks lost, so they run again; a result is never stored twice.
//
// The queue's owner must be the batch's only writer of its jobs (it holds the batch's lease): it
// decides at once what each write will do (the attempt number a start gets, whether a result is
// current), and Flush() checks the store agrees.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/result_store.h"

namespace attnsweep {

struct WriteQueueOptions {
  std::chrono::microseconds max_delay{50'000};
  size_t max_writes = 512;
};

// What Flush() throws when the store refused a queued write: another process changed the batch's
// jobs behind the queue's owner. The group was rolled back.
class WriteQueueConflict : public StoreError {
 public:
  using StoreError::StoreError;
};

class WriteQueue {
 public:
  using Clock = std::chrono::steady_clock;

  WriteQueue(ResultStore& store, WriteQueueOptions options = {});
  // Flushes what is still queued (an owner that ends normally calls Flush() itself; this is for
  // paths that leave by an exception other than the store's).
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // ResultStore::StartAttempt, expected to give the job attempt number `attempt`.
  void StartAttempt(int64_t job_id, int attempt, const AttemptPlace& place);
  // ResultStore::CommitResult of the job's current attempt.
  void CommitResult(int64_t job_id, int attempt, std::vector<Metric> metrics,
                    std::vector<CurvePoint> curves, std::vector<Prediction> predictions = {});
  // ResultStore::RecordFailure of the job's current attempt.
  void RecordFailure(int64_t job_id, int attempt, std::string outcome, std::string message,
                     bool retry);
  // ResultStore::RecordProgress of the job's current attempt. Only the latest counts: it takes the
  // place of one still queued for the same attempt (a job may report faster than groups commit).
  void RecordProgress(int64_t job_id, int attempt, std::string progress);

  size_t size() const { return writes_.size(); }
  // When the queued writes must be applied; nullopt when none are queued.
  std::optional<Clock::time_point> Deadline() const;
  bool Due(Clock::time_point now) const;
  // Applies every queued write in one transaction and empties the queue. Throws
  // WriteQueueConflict (after rolling the group back) when the store refuses one of them, and
  // StoreError when the store cannot be written.
  void Flush();
  // Groups applied so far, and writes in them: how much grouping the sweep got.
  int64_t groups() const { return groups_; }
  int64_t writes() const { return writes_applied_; }

 private:
  enum class Kind { kStart, kResult, kFailure, kProgress };
  struct Write {
    Kind kind;
    int64_t job_id;
    int attempt;
    ResultStore::WallTime at;
    AttemptPlace place;                   // kStart
    std::vector<Metric> metrics;          // kResult
    std::vector<CurvePoint> curves;       // kResult
    std::vector<Prediction> predictions;  // kResult
    std::string outcome, message;         // kFailure
    std::string progress;                 // kProgress
    bool retry = false;                   // kFailure
  };
  void Add(Write write);
  // Applies one write inside the group's transaction; false when the store refuses it.
  bool Apply(const Write& write);

  ResultStore& store_;
  WriteQueueOptions options_;
  std::vector<Write> writes_;
  Clock::time_point oldest_{};
  int64_t groups_ = 0;
  int64_t writes_applied_ = 0;
};

}  // namespace attnsweep
