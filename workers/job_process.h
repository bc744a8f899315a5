// A job process as its worker sees it: forked by the worker's launcher (job_launcher.h), or, when
// there is none, spawned with posix_spawn of this very binary (never a fork of the worker itself,
// which is unsafe once LibTorch or MPI have started threads); fed jobs over a pipe, watched without
// blocking.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "experiments/base/unique_fd.h"
#include "workers/job_cgroup.h"
#include "workers/kernel_oom_log.h"
#include "workers/message.h"
#include "workers/pipe_frames.h"

namespace attnsweep {

class JobLauncher;

class JobProcess {
 public:
  // Starts a job process in a process group of its own, with an environment stripped of
  // OMPI_*/PMIX_* (it must not take itself for an MPI rank), no descriptors but its pipes and the
  // log, stdout and stderr appended to `log_path`: forked by `launcher`, or `attnsweep __job`
  // spawned when it is null. nullptr with `error` set when it cannot start.
  static std::unique_ptr<JobProcess> Spawn(const std::string& log_path, int64_t memory_bytes,
                                           int threads, JobLauncher* launcher, std::string* error);
  // Kills the process group if it still runs, and reaps the process.
  ~JobProcess();
  JobProcess(const JobProcess&) = delete;
  JobProcess& operator=(const JobProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  int64_t memory_bytes() const { return memory_bytes_; }
  bool has_cgroup() const { return cgroup_ != nullptr; }
  int threads() const { return threads_; }

  // False when the process no longer reads its pipe.
  bool Send(const Message& assign);
  // A result, if one has arrived; never blocks. Progress frames read on the way are kept for
  // TakeProgress.
  std::optional<Message> PollResult();
  // The latest progress frame PollResult has read since the last call, if any.
  std::optional<Message> TakeProgress();
  // Blocks until the process writes to its result pipe or closes it (it exited), or `timeout`.
  void WaitForOutput(std::chrono::steady_clock::duration timeout);
  // True once the process has exited (reaped); never blocks. Then wait_status() says how.
  bool Exited();
  int wait_status() const { return wait_status_; }
  // Exited because its launcher died (it dies with its parent): wait_status() is not known.
  bool lost_with_launcher() const { return lost_with_launcher_; }
  // Sends `signal` to the whole process group (what the job started too).
  void Signal(int signal);
  // Whether the kernel's OOM killer killed it, from its memory cgroup (job_cgroup.h) where it has
  // one (a capped job): its count of OOM kills, or its memory having met the cap; otherwise from
  // the kernel log (kernel_oom_log.h). Read until it says so or `patience` has passed (the count
  // can trail the exit seen). nullopt where neither can be read.
  std::optional<bool> OomKilled(std::chrono::milliseconds patience) const;
  // Without a memory cgroup the worker holds the process to its cap itself: its resident memory,
  // read at most every 20 ms; the amount when it is past the cap. Never with a cgroup, whose
  // limit the kernel enforces.
  std::optional<int64_t> ResidentPastCap();

 private:
  JobProcess() = default;

  pid_t pid_ = -1;
  JobLauncher* launcher_ = nullptr;  // the process's parent; null: the worker is
  UniqueFd to_child_;                // its stdin
  UniqueFd from_child_;              // its fd 3, non-blocking
  FrameReader reader_;
  std::optional<Message> progress_;  // the latest progress frame not yet taken
  bool exited_ = false;
  bool lost_with_launcher_ = false;
  int wait_status_ = 0;
  std::string log_path_;
  int64_t memory_bytes_ = 0;
  // Without a cgroup: the kernel log from the process's start on (its OOM kill is read there).
  std::unique_ptr<KernelLogCursor> kernel_log_;
  int threads_ = 1;
  std::unique_ptr<JobCgroup> cgroup_;  // destroyed after the process is killed and reaped
  std::chrono::steady_clock::time_point next_memory_check_{};
};

// "killed by SIGSEGV (Segmentation fault)" or "exited with code 3".
std::string DescribeWaitStatus(int wait_status);

// The last `max_bytes` of a file from `offset` on, cut at a line start.
std::string ReadLogTail(const std::string& path, int64_t offset, size_t max_bytes);
// The last `lines` lines of a text.
std::string LastLines(const std::string& text, int lines);

}  // namespace attnsweep
