#include "store/write_queue.h"

#include <exception>
#include <utility>

namespace attnsweep {

WriteQueue::WriteQueue(ResultStore& store, WriteQueueOptions options)
    : store_(store), options_(options) {}

WriteQueue::~WriteQueue() {
  if (writes_.empty()) return;
  try {
    Flush();
  } catch (const std::exception&) {
    // Nothing to report to: the owner is already leaving by an error of its own. The jobs run
    // again on resume.
  }
}

void WriteQueue::Add(Write write) {
  if (writes_.empty()) oldest_ = Clock::now();
  writes_.push_back(std::move(write));
}

void WriteQueue::StartAttempt(int64_t job_id, int attempt, const AttemptPlace& place) {
  Write write{Kind::kStart, job_id, attempt, std::chrono::system_clock::now()};
  write.place = place;
  Add(std::move(write));
}

void WriteQueue::CommitResult(int64_t job_id, int attempt, std::vector<Metric> metrics,
                              std::vector<CurvePoint> curves, std::vector<Prediction> predictions) {
  Write write{Kind::kResult, job_id, attempt, std::chrono::system_clock::now()};
  write.metrics = std::move(metrics);
  write.curves = std::move(curves);
  write.predictions = std::move(predictions);
  Add(std::move(write));
}

void WriteQueue::RecordFailure(int64_t job_id, int attempt, std::string outcome,
                               std::string message, bool retry) {
  Write write{Kind::kFailure, job_id, attempt, std::chrono::system_clock::now()};
  write.outcome = std::move(outcome);
  write.message = std::move(message);
  write.retry = retry;
  Add(std::move(write));
}

void WriteQueue::RecordProgress(int64_t job_id, int attempt, std::string progress) {
  // The queue's last write of this job, if it is a progress of the same attempt, is replaced:
  // nothing of that job was queued after it, so the order of its writes stays the same.
  for (auto it = writes_.rbegin(); it != writes_.rend(); ++it) {
    if (it->job_id != job_id) continue;
    if (it->kind == Kind::kProgress && it->attempt == attempt) {
      it->progress = std::move(progress);
      it->at = std::chrono::system_clock::now();
      return;
    }
    break;
  }
  Write write{Kind::kProgress, job_id, attempt, std::chrono::system_clock::now()};
  write.progress = std::move(progress);
  Add(std::move(write));
}

std::optional<WriteQueue::Clock::time_point> WriteQueue::Deadline() const {
  if (writes_.empty()) return std::nullopt;
  return oldest_ + options_.max_delay;
}

bool WriteQueue::Due(Clock::time_point now) const {
  return !writes_.empty() && (writes_.size() >= options_.max_writes || now >= *Deadline());
}

bool WriteQueue::Apply(const Write& write) {
  switch (write.kind) {
    case Kind::kStart:
      return store_.StartAttempt(write.job_id, write.place, write.at) == write.attempt;
    case Kind::kResult:
      return store_.CommitResult(write.job_id, write.attempt, write.metrics, write.curves, write.at,
                                 write.predictions);
    case Kind::kFailure:
      return store_.RecordFailure(write.job_id, write.attempt, write.outcome, write.message,
                                  write.retry, write.at);
    case Kind::kProgress:
      return store_.RecordProgress(write.job_id, write.attempt, write.progress, write.at);
  }
  return false;
}

void WriteQueue::Flush() {
  if (writes_.empty()) return;
  // Taken out first: after a refusal the whole group is abandoned, not tried again.
  const std::vector<Write> writes = std::exchange(writes_, {});
  Transaction group(store_.db());
  for (const Write& write : writes) {
    if (!Apply(write)) {
      const char* what = write.kind == Kind::kStart      ? "start"
                         : write.kind == Kind::kResult   ? "result"
                         : write.kind == Kind::kProgress ? "progress"
                                                         : "failure";
      // The group rolls back with `group`: nothing of it is kept.
      throw WriteQueueConflict("store '" + store_.db().path() + "': the " + what + " of job #" +
                               std::to_string(write.job_id) + " attempt " +
                               std::to_string(write.attempt) +
                               " was refused: another process changed the batch's jobs while "
                               "this coordinator held its lease");
    }
  }
  group.Commit();
  ++groups_;
  writes_applied_ += static_cast<int64_t>(writes.size());
}

}  // namespace attnsweep
