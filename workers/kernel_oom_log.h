// Whether the kernel's OOM killer killed a process, as the kernel log says: the way to tell an OOM
// kill from any other SIGKILL for a job process without a memory cgroup of its own (a per-job
// cgroup costs ~12 ms a job here, so one is made only for a job with a memory cap).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

#include "experiments/base/unique_fd.h"

namespace attnsweep {

// Whether one kernel log message reports the OOM kill of `pid`: "Out of memory: Killed process
// PID (name) ...", "Memory cgroup out of memory: Killed process PID ...", or the summary line
// "oom-kill:...,task=name,pid=PID,uid=...". A kmsg record's prefix ("LEVEL,SEQ,USEC,FLAGS;") is
// skipped.
bool ReportsOomKillOf(std::string_view message, pid_t pid);

// A place in the kernel log (/dev/kmsg), taken when a job process starts: only what is logged
// after it is read, so an old OOM kill of a process whose pid was reused never counts.
class KernelLogCursor {
 public:
  // At the log's end; an empty cursor where it cannot be read (not root, dmesg_restrict, most
  // containers). `path` is for tests: a file stands in for the log, read from its start.
  explicit KernelLogCursor(const char* path = "/dev/kmsg", bool from_end = true);

  // Whether the records logged since report the OOM kill of `pid`; nullopt where the log cannot
  // be read. Pids are the kernel's: in a pid namespace of its own the worker's differ, and nothing
  // matches. Reads on from where the last call stopped.
  std::optional<bool> ReportsOomKill(pid_t pid);

 private:
  UniqueFd fd_;
};

}  // namespace attnsweep
