#include "workers/job_launcher.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "workers/job_process_main.h"

extern char** environ;

namespace attnsweep {
namespace {

// worker -> launcher, with the job process's three descriptors attached.
struct LaunchRequest {
  int32_t threads;
};

// launcher -> worker.
struct LauncherReport {
  enum Kind : int32_t { kStarted = 1, kNotStarted = 2, kEnded = 3 };
  int32_t kind;
  int32_t pid;
  int32_t value;  // kNotStarted: errno; kEnded: wait status
};

constexpr int kLaunchFds = 3;

// A request and room for its descriptors, wired for sendmsg and recvmsg.
struct RequestBuffer {
  LaunchRequest request{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kLaunchFds)] = {};
  iovec data{};
  msghdr message{};

  RequestBuffer() {
    data = {&request, sizeof(request)};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
  }
  RequestBuffer(const RequestBuffer&) = delete;
  RequestBuffer& operator=(const RequestBuffer&) = delete;
};
// How long Launch() waits for the launcher's answer before calling it unresponsive.
constexpr int kLaunchTimeoutMs = 10000;

int ThreadsOfThisProcess() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(tasks)) count += entry->d_name[0] != '.';
  closedir(tasks);
  return count;
}

bool SendAll(int socket, const void* data, size_t size) {
  while (send(socket, data, size, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

// What the launcher's environment keeps from the worker's: not the variables that would make a job
// process, or anything it starts, take itself for an MPI rank.
void DropMpiEnvironment() {
  std::vector<std::string> names;
  for (char** e = environ; *e != nullptr; ++e) {
    if (IsMpiVariable(*e)) {
      const std::string entry = *e;
      names.push_back(entry.substr(0, entry.find('=')));
    }
  }
  for (const std::string& name : names) unsetenv(name.c_str());
}

// The job process, just forked: its descriptors in place, signals as a fresh process has them,
// then the job loop. Never returns.
[[noreturn]] void BecomeJobProcess(const int fds[kLaunchFds], const LaunchRequest& request,
                                   pid_t launcher) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != launcher) _exit(137);  // the launcher died between fork and prctl
  dup2(fds[0], STDIN_FILENO);
  dup2(fds[1], STDOUT_FILENO);
  dup2(fds[1], STDERR_FILENO);
  dup2(fds[2], kJobResultFd);
  syscall(SYS_close_range, kJobResultFd + 1, ~0U, 0);
  for (int number = 1; number < NSIG; ++number) ::signal(number, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::exit(ServeJobsFromLauncher(request.threads));
}

// The launcher's loop: a fork per request, a report per fork and per end. Leaves when the worker
// closes its end of the socket (or dies), killing the job processes it still has.
[[noreturn]] void ServeLaunches(int socket) {
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, nullptr);
  const int children = signalfd(-1, &child_signal, SFD_CLOEXEC | SFD_NONBLOCK);
  std::set<pid_t> running;
  const pid_t self = getpid();
  for (;;) {
    pollfd fds[2] = {{socket, POLLIN, 0}, {children, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(children, &info, sizeof(info)) == sizeof(info)) {
      }
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        // What the job left running in its group goes with it.
        kill(-pid, SIGKILL);
        running.erase(pid);
        const LauncherReport report{LauncherReport::kEnded, pid, status};
        SendAll(socket, &report, sizeof(report));
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      RequestBuffer buffer;
      const LaunchRequest& request = buffer.request;
      const ssize_t got = recvmsg(socket, &buffer.message, MSG_CMSG_CLOEXEC);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;  // the worker is gone
      const cmsghdr* header = CMSG_FIRSTHDR(&buffer.message);
      if (got != sizeof(request) || header == nullptr || header->cmsg_type != SCM_RIGHTS ||
          header->cmsg_len != CMSG_LEN(sizeof(int) * kLaunchFds)) {
        break;  // not a request from our worker
      }
      int job_fds[kLaunchFds];
      std::memcpy(job_fds, CMSG_DATA(header), sizeof(job_fds));
      const pid_t pid = fork();
      if (pid == 0) BecomeJobProcess(job_fds, request, self);
      for (int fd : job_fds) close(fd);
      LauncherReport report{LauncherReport::kStarted, pid, 0};
      if (pid < 0) report = {LauncherReport::kNotStarted, -1, errno};
      if (pid > 0) running.insert(pid);
      SendAll(socket, &report, sizeof(report));
    }
  }
  for (pid_t pid : running) kill(-pid, SIGKILL);
  _exit(0);
}

}  // namespace

std::unique_ptr<JobLauncher> JobLauncher::Start(std::string* why) {
  const int threads = ThreadsOfThisProcess();
  if (threads != 1) {
    *why = "this process already runs " + std::to_string(threads) + " threads";
    return nullptr;
  }
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    *why = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  UniqueFd ours(ends[0]), theirs(ends[1]);
  // Output buffered now would be written twice, by both processes.
  std::fflush(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    *why = std::string("fork: ") + std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    prctl(PR_SET_NAME, "attnsweep-launch");
    // The command's "interrupted; nothing was stored" exit is not the launcher's to say.
    for (int number : {SIGINT, SIGTERM, SIGHUP}) ::signal(number, SIG_DFL);
    // A group of its own, like the job processes: a Ctrl-C at the terminal reaches the worker,
    // which stops its job gently, not the launcher, which would take the job down with it.
    setpgid(0, 0);
    DropMpiEnvironment();
    const int socket = theirs.release();
    ours.reset();
    // Only the socket: the launcher holds nothing of the worker's (its store, its log files).
    if (socket != 3) {
      dup2(socket, 3);
      close(socket);
    }
    syscall(SYS_close_range, 4, ~0U, 0);
    ServeLaunches(3);
  }
  return std::unique_ptr<JobLauncher>(new JobLauncher(pid, std::move(ours)));
}

JobLauncher::~JobLauncher() {
  socket_.reset();
  int status = 0;
  waitpid(pid_, &status, 0);
}

pid_t JobLauncher::Launch(int stdin_fd, int log_fd, int result_fd, int threads,
                          std::string* error) {
  RequestBuffer buffer;
  buffer.request = {threads};
  const int fds[kLaunchFds] = {stdin_fd, log_fd, result_fd};
  cmsghdr* header = CMSG_FIRSTHDR(&buffer.message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(fds));
  std::memcpy(CMSG_DATA(header), fds, sizeof(fds));
  ssize_t sent;
  while ((sent = sendmsg(socket_.get(), &buffer.message, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (sent != static_cast<ssize_t>(sizeof(buffer.request))) {
    gone_ = true;
    *error = std::string("the job launcher is gone: ") + std::strerror(errno);
    return -1;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kLaunchTimeoutMs);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      *error = "the job launcher did not answer within " + std::to_string(kLaunchTimeoutMs / 1000) +
               " s";
      return -1;
    }
    if (auto launched = ReadReports(static_cast<int>(left))) {
      if (*launched > 0) return *launched;
      *error = std::string("cannot start a job process: ") +
               (*launched == 0 ? "the job launcher is gone" : std::strerror(-*launched));
      return -1;
    }
  }
}

std::optional<int> JobLauncher::ReadReports(int timeout_ms) {
  // A closed socket stays readable-at-end: polling it again would return at once, forever.
  if (gone_) return 0;
  pollfd fd{socket_.get(), POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) <= 0) return std::nullopt;
  std::optional<int> launched;
  LauncherReport report{};
  ssize_t got;
  while ((got = recv(socket_.get(), &report, sizeof(report), MSG_DONTWAIT)) == sizeof(report)) {
    if (report.kind == LauncherReport::kEnded) {
      if (forgotten_.erase(report.pid) == 0) ended_[report.pid] = report.value;
    } else if (report.kind == LauncherReport::kStarted) {
      launched = report.pid;
    } else {
      launched = -report.value;
    }
  }
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    gone_ = true;  // end of file (or a broken socket): the launcher is gone
    if (!launched) launched = 0;
  }
  return launched;
}

bool JobLauncher::Reaped(pid_t pid, int* status) {
  ReadReports(0);
  auto found = ended_.find(pid);
  if (found == ended_.end()) return false;
  *status = found->second;
  ended_.erase(found);
  return true;
}

void JobLauncher::Forget(pid_t pid) {
  if (ended_.erase(pid) == 0) forgotten_.insert(pid);
}

bool JobLauncher::WaitReaped(pid_t pid, int* status, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!Reaped(pid, status)) {
    if (gone_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    ReadReports(static_cast<int>(left));
  }
  return true;
}

}  // namespace attnsweep
