// Whether the kernel's OOM killer killed a process, as the kernel log says: the way to tell an OOM
// kill from any other SIGKILL for a job process without a memory cgroup of its own (a per-job
// cgroup costs ~12 ms a job here, so one is made only for a job with a memory cap).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string_view>

namespace attnsweep {

// Whether one kernel log message reports the OOM kill of `pid`: "Out of memory: Killed process
// PID (name) ...", "Memory cgroup out of memory: Killed process PID ...", or the summary line
// "oom-kill:...,task=name,pid=PID,uid=...".
bool ReportsOomKillOf(std::string_view message, pid_t pid);

// Reads the kernel log (/dev/kmsg, as far back as its buffer goes) for an OOM kill of `pid`.
// nullopt when the log cannot be read here (not root, dmesg_restrict, a container without it).
// Pids are the kernel's: in a pid namespace of its own the worker's view differs, and nothing
// matches.
std::optional<bool> KernelLoggedOomKill(pid_t pid, const char* kmsg_path = "/dev/kmsg");

}  // namespace attnsweep
