// Fresh job processes in milliseconds. posix_spawn of attnsweep costs 0.3-0.45 s per job process,
// nearly all of it the dynamic loader and LibTorch's static initialisers. The launcher is a small
// process forked from attnsweep at start-up, before MPI, LibTorch or anything else has started a
// thread (a fork copies only the calling thread, so forking later could copy a lock some other
// thread held); it forks a job process on each request, which starts with every library loaded and
// initialised. It runs nothing itself, and dies with the process that started it.
//
// The job processes are the launcher's children, so the launcher reaps them and reports how each
// ended; their descriptors (stdin, the log, the result pipe) travel over a Unix socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "experiments/base/unique_fd.h"

namespace attnsweep {

class JobLauncher {
 public:
  // Forks the launcher. nullptr, with `why` set, when it cannot: this process already runs other
  // threads, or the fork failed. Callers then spawn job processes the slow way.
  static std::unique_ptr<JobLauncher> Start(std::string* why);
  // Closes the socket: the launcher kills the job processes it still has and exits; it is reaped.
  ~JobLauncher();
  JobLauncher(const JobLauncher&) = delete;
  JobLauncher& operator=(const JobLauncher&) = delete;

  // Forks a job process in a process group of its own with `stdin_fd` as its stdin, `log_fd` as
  // its stdout and stderr, and `result_fd` as its descriptor 3, and nothing else open; it serves
  // jobs with `threads` threads (job_process_main.h). Returns its pid, or -1 with `error` set.
  pid_t Launch(int stdin_fd, int log_fd, int result_fd, int threads, std::string* error);
  // Whether the launcher has reported `pid` ended; its wait status in `status`. Never blocks.
  bool Reaped(pid_t pid, int* status);
  // Waits up to `timeout_s` for `pid` to be reported ended.
  bool WaitReaped(pid_t pid, int* status, double timeout_s);
  // Nobody will ask how `pid` ended: its report is dropped when it comes.
  void Forget(pid_t pid);
  // Whether the launcher has died (its socket closed or refused a request): it reports nothing
  // more, and the processes it started went with it (they die with their parent).
  bool gone() const { return gone_; }

 private:
  JobLauncher(pid_t pid, UniqueFd socket) : pid_(pid), socket_(std::move(socket)) {}
  // Reads the launcher's reports, waiting up to `timeout_ms` (0: only what has arrived) for the
  // first. Ended processes go to `ended_`; returns a launch's report (pid, or -errno) if one came.
  std::optional<int> ReadReports(int timeout_ms);

  pid_t pid_;
  UniqueFd socket_;
  std::map<pid_t, int> ended_;  // pid -> wait status, until Reaped() hands it out
  std::set<pid_t> forgotten_;
  bool gone_ = false;
};

}  // namespace attnsweep
