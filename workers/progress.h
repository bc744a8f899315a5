// The coordinator's progress line: jobs finished out of the total, failures, elapsed time and the
// ETA the coordinator gives (from its cost model). On a terminal it rewrites one line; otherwise it
// logs a line at most every few seconds, so batch logs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace attnsweep {

class ProgressLine {
 public:
  explicit ProgressLine(int64_t total_jobs);

  void JobFinished(bool done);
  // "3/40": finished jobs out of all, for log lines.
  std::string Count() const;
  // Prints the line: on a terminal at once, in a log at most every few seconds. `eta_s`: seconds
  // until the batch is done; nullopt when it cannot be told.
  void Print(std::optional<double> eta_s);
  // Erases the terminal line so a log message can take its place; Print() redraws it.
  void ClearForLog();
  // Ends a terminal line so following output starts on a fresh one.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_, done_ = 0, failed_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_{};
  bool tty_;
  bool printed_ = false;
};

}  // namespace attnsweep
