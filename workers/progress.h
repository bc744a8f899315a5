// The coordinator's progress line: jobs finished out of the total, failures, elapsed time and the
// ETA the coordinator gives (from its cost model). On a terminal it rewrites one line; otherwise it
// logs a line at most every few seconds, so batch logs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace attnsweep {

class ProgressLine {
 public:
  explicit ProgressLine(int64_t total_jobs);

  void JobFinished(bool done);
  // "3/40": finished jobs out of all, for log lines.
  std::string Count() const;
  // Seconds until the batch is done; nullopt when it cannot be told. Asked only when the line is
  // printed (it costs a pass over the queue).
  using Eta = std::function<std::optional<double>()>;
  // Prints the line: on a terminal at most ten times a second, in a log at most every ten seconds
  // (a sweep of short jobs finishes thousands a second).
  void Print(const Eta& eta_s);
  // Erases the terminal line so a log message can take its place; Print() redraws it.
  void ClearForLog();
  // Ends a terminal line, drawn once more if a redraw was skipped, so following output starts on
  // a fresh one.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_, done_ = 0, failed_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_{};
  bool tty_;
  bool printed_ = false;
  bool stale_ = false;  // a terminal redraw was skipped since the last one
  void Draw(std::optional<double> eta_s, Clock::time_point now);
};

}  // namespace attnsweep
