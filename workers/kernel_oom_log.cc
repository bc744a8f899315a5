#include "workers/kernel_oom_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace attnsweep {

namespace {
// Whether `text` at `at` holds exactly the number `pid` (not a longer number starting with it).
bool PidAt(std::string_view text, size_t at, pid_t pid) {
  const std::string digits = std::to_string(pid);
  if (text.compare(at, digits.size(), digits) != 0) return false;
  const size_t end = at + digits.size();
  return end == text.size() || text[end] < '0' || text[end] > '9';
}
}  // namespace

bool ReportsOomKillOf(std::string_view message, pid_t pid) {
  // kmsg records are "LEVEL,SEQ,USEC,FLAGS;TEXT": the text is after the first ';'.
  if (const size_t semicolon = message.find(';');
      semicolon != std::string_view::npos &&
      message.substr(0, semicolon).find(' ') == std::string_view::npos) {
    message.remove_prefix(semicolon + 1);
  }
  // "Out of memory: ..." (the node's memory) and "Memory cgroup out of memory: ..." (a cgroup's).
  constexpr std::string_view kKilled = "of memory: Killed process ";
  if (const size_t at = message.find(kKilled); at != std::string_view::npos) {
    return PidAt(message, at + kKilled.size(), pid);
  }
  if (message.rfind("oom-kill:", 0) == 0) {
    for (size_t at = message.find(",pid="); at != std::string_view::npos;
         at = message.find(",pid=", at + 1)) {
      if (PidAt(message, at + 5, pid)) return true;
    }
  }
  return false;
}

KernelLogCursor::KernelLogCursor(const char* path, bool from_end)
    : fd_(open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_ && from_end && lseek(fd_.get(), 0, SEEK_END) < 0) fd_.reset();
}

std::optional<bool> KernelLogCursor::ReportsOomKill(pid_t pid) {
  if (!fd_) return std::nullopt;
  // One record per read; EPIPE when the record we were at was overwritten (read on); EAGAIN at
  // the end. A bound on the records read, in case the log is written faster than we read.
  char record[8192];
  for (int records = 0; records < 100000; ++records) {
    const ssize_t n = read(fd_.get(), record, sizeof(record));
    if (n < 0 && (errno == EPIPE || errno == EINTR)) continue;
    if (n < 0 && errno != EAGAIN) return std::nullopt;
    if (n <= 0) break;
    if (ReportsOomKillOf(std::string_view(record, static_cast<size_t>(n)), pid)) return true;
  }
  return false;
}

}  // namespace attnsweep
