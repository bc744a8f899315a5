#include "workers/job_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "experiments/memory/process_memory.h"
#include "workers/job_launcher.h"
#include "workers/job_process_main.h"
#include "workers/process_liveness.h"

extern char** environ;

namespace attnsweep {
namespace {

// The worker's own executable, by the kernel's link to it rather than by its path: a job process
// then runs exactly the code of its worker, even after the file was rebuilt or deleted during a
// sweep (its path would name the new build, or nothing).
constexpr const char* kSelfExecutable = "/proc/self/exe";

// What the worker was started as, for the child's argv[0] (ps, logs): "(deleted)" and all.
std::string SelfExecutableName() {
  char path[4096];
  const ssize_t n = readlink(kSelfExecutable, path, sizeof(path) - 1);
  if (n <= 0) return "attnsweep";
  return std::string(path, static_cast<size_t>(n));
}

// The worker's environment without what would make the child believe it is an MPI rank.
std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (!IsMpiVariable(*e) && entry.rfind(kJobParentEnv, 0) != 0) env.push_back(entry);
  }
  env.push_back(std::string(kJobParentEnv) + "=" + std::to_string(getpid()));
  return env;
}

// posix_spawn of `attnsweep __job`: what a worker without a launcher does.
pid_t SpawnJobExecutable(const Pipe& to_child, const Pipe& from_child, const UniqueFd& log,
                         int threads, std::string* error) {
  const std::string name = SelfExecutableName();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child.read_end.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log.get(), STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child.write_end.get(), kJobResultFd);
  // MPI and LibTorch leave descriptors without close-on-exec: none of them belongs in a job.
  posix_spawn_file_actions_addclosefrom_np(&actions, kJobResultFd + 1);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigfillset(&defaults);  // the worker ignores SIGPIPE and handles others: the job starts clean
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string thread_count = std::to_string(threads);
  std::vector<const char*> argv = {name.c_str(), "__job", "--threads", thread_count.c_str(),
                                   nullptr};
  const std::vector<std::string> env_strings = ChildEnvironment();
  std::vector<char*> env;
  for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  pid_t pid = -1;
  const int rc = posix_spawn(&pid, kSelfExecutable, &actions, &attributes,
                             const_cast<char* const*>(argv.data()), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    *error = std::string("cannot start a job process: ") + std::strerror(rc);
    return -1;
  }
  return pid;
}

}  // namespace

std::unique_ptr<JobProcess> JobProcess::Spawn(const std::string& log_path, int64_t memory_bytes,
                                              int threads, JobLauncher* launcher,
                                              std::string* error) {
  // Close-on-exec everywhere: the child gets only what is put in place as its stdin, stdout,
  // stderr and fd 3, and no other job process inherits these ends.
  Pipe to_child, from_child;
  if (!to_child.Open(O_CLOEXEC) || !from_child.Open(O_CLOEXEC)) {
    *error = std::string("cannot start a job process: ") + std::strerror(errno);
    return nullptr;
  }
  const UniqueFd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log) {
    *error = "cannot open the job log '" + log_path + "': " + std::strerror(errno);
    return nullptr;
  }
  pid_t pid = -1;
  if (launcher != nullptr && !launcher->gone()) {
    pid = launcher->Launch(to_child.read_end.get(), log.get(), from_child.write_end.get(), threads,
                           error);
  }
  if (launcher != nullptr && launcher->gone()) {
    // Killed, or dead of its own: jobs must not pay for it. The slow way from here on (a new
    // launcher cannot be forked once this process runs threads: job_launcher.h).
    static std::once_flag said;
    std::call_once(said, [&] {
      spdlog::warn(
          "the job launcher is gone{}; this rank starts its job processes from the "
          "binary from now on (about 0.4 s more a job)",
          error->empty() ? "" : " (" + *error + ")");
    });
    launcher = nullptr;
    error->clear();
  }
  if (launcher == nullptr) pid = SpawnJobExecutable(to_child, from_child, log, threads, error);
  if (pid < 0) return nullptr;
  // The child's ends and the log close as this returns: the worker keeps only its own ends, so it
  // sees end of file when the child goes.
  const int from = from_child.read_end.get();
  fcntl(from, F_SETFL, fcntl(from, F_GETFL) | O_NONBLOCK);

  std::unique_ptr<JobProcess> process(new JobProcess());
  process->pid_ = pid;
  process->launcher_ = launcher;
  process->to_child_ = std::move(to_child.write_end);
  process->from_child_ = std::move(from_child.read_end);
  process->log_path_ = log_path;
  process->memory_bytes_ = memory_bytes;
  process->threads_ = threads;
  // A job with a memory cap gets a memory cgroup of its own, before the worker sends it the job:
  // what it touches from here on is charged there. Only then: moving a process into a cgroup
  // waits for the kernel (~12 ms a job here, twice the rest of a job process's cost); an OOM kill
  // of an uncapped job is told from the kernel log instead (kernel_oom_log.h).
  if (memory_bytes > 0) {
    std::string no_cgroup;
    process->cgroup_ = JobCgroup::ForProcess(pid, memory_bytes, &no_cgroup);
    static std::once_flag said;
    std::call_once(said, [&] {
      if (process->cgroup_) {
        spdlog::debug("capped job processes get a memory cgroup of their own (under {})",
                      std::filesystem::path(process->cgroup_->path()).parent_path().string());
      } else {
        spdlog::debug("capped job processes run without a memory cgroup of their own: {}",
                      no_cgroup);
      }
    });
  }
  // Without a cgroup, the kernel log from here on tells an OOM kill from another SIGKILL.
  if (!process->cgroup_) process->kernel_log_ = std::make_unique<KernelLogCursor>();
  return process;
}

JobProcess::~JobProcess() {
  if (!exited_ && pid_ > 0) {
    Signal(SIGKILL);
    if (launcher_ != nullptr) {
      // The launcher reaps it; the worker need not wait for the teardown of a process it is done
      // with.
      launcher_->Forget(pid_);
    } else {
      waitpid(pid_, &wait_status_, 0);
    }
  }
  // The pipes close after this, as members.
}

std::optional<bool> JobProcess::OomKilled(std::chrono::milliseconds patience) const {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (true) {
    const std::optional<bool> killed =
        cgroup_ ? std::optional<bool>(cgroup_->OomKills() > 0) : kernel_log_->ReportsOomKill(pid_);
    if (!killed || *killed) return killed;
    if (std::chrono::steady_clock::now() >= give_up) {
      return cgroup_ && memory_bytes_ > 0 && cgroup_->ReachedLimit();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(cgroup_ ? 5 : 50));
  }
}

std::optional<int64_t> JobProcess::ResidentPastCap() {
  if (memory_bytes_ <= 0 || cgroup_ || exited_) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_memory_check_) return std::nullopt;
  next_memory_check_ = now + std::chrono::milliseconds(20);
  const int64_t resident = ResidentBytesOf(pid_);
  if (resident > memory_bytes_) return resident;
  return std::nullopt;
}

bool JobProcess::Send(const Message& assign) {
  return to_child_ && WriteFrame(to_child_.get(), EncodeMessage(assign));
}

std::optional<Message> JobProcess::PollResult() {
  reader_.ReadAvailable(from_child_.get());
  while (auto frame = reader_.Next()) {
    std::string error;
    auto message = DecodeMessage(*frame, &error);
    if (!message) {
      spdlog::warn("job process {}: dropped a frame: {}", pid_, error);
      continue;
    }
    if (message->type == MessageType::kResult) return message;
    if (message->type == MessageType::kProgress) progress_ = std::move(message);
  }
  return std::nullopt;
}

std::optional<Message> JobProcess::TakeProgress() { return std::exchange(progress_, std::nullopt); }

void JobProcess::WaitForOutput(std::chrono::steady_clock::duration timeout) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::max(timeout, std::chrono::steady_clock::duration::zero()))
                      .count();
  const timespec wait{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  pollfd fd{from_child_.get(), POLLIN, 0};
  if (ppoll(&fd, 1, &wait, nullptr) > 0 && !(fd.revents & POLLIN)) {
    // The pipe is closed (the process is gone) and stays readable-at-end: poll would return at
    // once again while the worker waits to hear how the process ended.
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

bool JobProcess::Exited() {
  if (exited_) return true;
  if (launcher_ != nullptr) {
    // The launcher has killed what the job left in its group.
    exited_ = launcher_->Reaped(pid_, &wait_status_);
    if (!exited_ && launcher_->gone() && ProcessHasEnded(pid_)) {
      // The launcher died, and the job process with it (it dies with its parent): how it ended,
      // nobody will report.
      exited_ = lost_with_launcher_ = true;
      kill(-pid_, SIGKILL);  // what it started in its group
    }
    return exited_;
  }
  const pid_t done = waitpid(pid_, &wait_status_, WNOHANG);
  if (done == pid_) {
    exited_ = true;
    // The group may have children of the job still running: they go too.
    kill(-pid_, SIGKILL);
  }
  return exited_;
}

void JobProcess::Signal(int signal) {
  if (!exited_ && pid_ > 0) kill(-pid_, signal);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* name = sigabbrev_np(signal);
    return std::string("killed by SIG") + (name ? name : std::to_string(signal).c_str()) + " (" +
           strsignal(signal) + ")";
  }
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  return "ended (status " + std::to_string(wait_status) + ")";
}

std::string ReadLogTail(const std::string& path, int64_t offset, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const int64_t end = in.tellg();
  const int64_t start = std::max<int64_t>(offset, end - static_cast<int64_t>(max_bytes));
  if (start >= end) return {};
  in.seekg(start);
  std::string text(static_cast<size_t>(end - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (start > offset) {
    const size_t newline = text.find('\n');
    if (newline != std::string::npos) text.erase(0, newline + 1);
  }
  return text;
}

std::string LastLines(const std::string& text, int lines) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '\n') --end;
  size_t start = end;
  int newlines = 0;
  while (start > 0) {
    if (text[start - 1] == '\n' && ++newlines == lines) break;
    --start;
  }
  return text.substr(start, end - start);
}

}  // namespace attnsweep
