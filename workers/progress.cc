#include "workers/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

namespace attnsweep {
namespace {
std::string Duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(text, sizeof(text), "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}
}  // namespace

ProgressLine::ProgressLine(int64_t total_jobs)
    : total_(total_jobs), tty_(isatty(STDERR_FILENO) == 1) {
  last_print_ = start_;  // the first log line comes after an interval, not at once
}

void ProgressLine::JobFinished(bool done) { (done ? done_ : failed_) += 1; }

std::string ProgressLine::Count() const {
  return std::to_string(done_ + failed_) + "/" + std::to_string(total_);
}

void ProgressLine::Print(const Eta& eta_s) {
  const auto now = Clock::now();
  const auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_print_ < interval) {
    stale_ = tty_;
    return;
  }
  Draw(eta_s(), now);
}

void ProgressLine::Draw(std::optional<double> eta_s, Clock::time_point now) {
  last_print_ = now;
  stale_ = false;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::string eta = done_ + failed_ == total_ ? "0:00" : eta_s ? Duration(*eta_s) : "?";
  char line[200];
  std::snprintf(line, sizeof(line), "[%lld/%lld] %lld done, %lld failed | %s elapsed, ETA %s",
                static_cast<long long>(done_ + failed_), static_cast<long long>(total_),
                static_cast<long long>(done_), static_cast<long long>(failed_),
                Duration(elapsed).c_str(), eta.c_str());
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    std::fflush(stderr);
    printed_ = true;
  } else {
    spdlog::info("{}", line);
  }
}

void ProgressLine::ClearForLog() {
  if (tty_ && printed_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void ProgressLine::Finish() {
  if (stale_) Draw(std::nullopt, Clock::now());
  if (tty_ && printed_) std::fprintf(stderr, "\n");
  printed_ = false;
}

}  // namespace attnsweep
