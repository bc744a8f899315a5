#include "workers/worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "experiments/base/exit_codes.h"
#include "experiments/base/units.h"
#include "experiments/job_runner.h"
#include "workers/job_process.h"
#include "workers/poll_wait.h"

namespace attnsweep {
namespace {

using Clock = std::chrono::steady_clock;

// How much of a job's own output travels back with its result, and how much goes into its error.
constexpr size_t kLogBytesReturned = 64 * 1024;
constexpr int kErrorLogLines = 12;
// After a cancel, how long a job process may take to stop before it is killed.
constexpr double kCancelGraceSeconds = 3.0;
// How often an idle worker looks at its signals even when nothing else wakes it.
constexpr auto kIdleCheck = std::chrono::milliseconds(100);
// How often a worker whose job runs looks at its messages (and its job's progress).
constexpr auto kMessageCheck = std::chrono::milliseconds(1);
// How often an inproc job waiting for a decision looks at its signals and cancels.
constexpr auto kDecisionCheck = std::chrono::milliseconds(100);
// A job's progress goes to the coordinator at once, but not in heartbeats closer than this: a job
// that reports every few milliseconds must not flood it (its latest report goes with the next).
constexpr auto kProgressGap = std::chrono::milliseconds(100);

Clock::duration DurationOf(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// One attempt, however it runs. The worker's main thread polls it; it never blocks.
class Execution {
 public:
  explicit Execution(const Message& assign) : job_id_(assign.job_id), attempt_(assign.attempt) {}
  virtual ~Execution() = default;
  int64_t job_id() const { return job_id_; }
  int attempt() const { return attempt_; }
  // Advances the attempt; true once it has ended and TakeResult() may be called.
  virtual bool Finished() = 0;
  virtual Message TakeResult() = 0;
  // Asks the job to stop; it then ends as interrupted.
  virtual void Cancel() = 0;
  // Blocks until the job may have ended, or `timeout` passed: the worker learns of the end at
  // once, without polling.
  virtual void WaitForEnd(Clock::duration timeout) = 0;
  // The latest progress the job has reported since the last call, if any.
  virtual std::optional<JobProgress> TakeProgress() = 0;
  // Passes the coordinator's early-stopping decision on to the job, which waits for it.
  virtual void Decide(const Message& decision) = 0;

 protected:
  Message NewResult() const {
    Message result;
    result.type = MessageType::kResult;
    result.job_id = job_id_;
    result.attempt = attempt_;
    return result;
  }

 private:
  int64_t job_id_;
  int attempt_;
};

// The thread inproc jobs run in, one after another, for the worker's whole life: LibTorch's thread
// settings and OpenMP's team then carry over from job to job, where a thread per job rebuilt them
// each time (with threads that spin for milliseconds as they start).
class InprocThread {
 public:
  InprocThread() : thread_([this] { Serve(); }) {}
  ~InprocThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  InprocThread(const InprocThread&) = delete;
  InprocThread& operator=(const InprocThread&) = delete;

  // Runs `body` on the thread; the previous body must have returned.
  void Post(std::function<void()> body) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = std::move(body);
    }
    wake_.notify_one();
  }

 private:
  void Serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return quit_ || body_; });
      if (!body_) return;
      std::function<void()> body = std::move(body_);
      body_ = nullptr;
      lock.unlock();
      body();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> body_;
  bool quit_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

// inproc: the job runs in a thread of the worker itself. Cheap; a crash takes the worker down.
class ThreadExecution final : public Execution {
 public:
  ThreadExecution(const Message& assign, int threads, std::function<bool()> interrupted,
                  InprocThread& runner)
      : Execution(assign) {
    JobContext context;
    context.threads = assign.threads > 0 ? assign.threads : threads;
    context.device = assign.device.empty() ? "cpu" : assign.device;
    context.stop_requested = [this, interrupted] { return cancel_.load() || interrupted(); };
    context.checkpoint_path = assign.checkpoint;
    // Called on the job's thread; the worker's main thread takes it.
    context.report_progress = [this](const JobProgress& progress) {
      std::lock_guard<std::mutex> lock(progress_mutex_);
      progress_ = progress;
    };
    // At a decision epoch the job waits, on its own thread, for Decide (the worker's main thread).
    context.continue_training = [this, interrupted,
                                 epochs = assign.decision_epochs](const JobProgress& progress) {
      if (std::find(epochs.begin(), epochs.end(), progress.epoch) == epochs.end()) return true;
      {
        std::lock_guard<std::mutex> lock(progress_mutex_);
        progress_ = progress;  // what the coordinator decides on
      }
      std::unique_lock<std::mutex> lock(decision_mutex_);
      for (;;) {
        if (auto found = decisions_.find(progress.epoch); found != decisions_.end()) {
          return found->second;
        }
        if (cancel_.load() || interrupted()) throw JobInterrupted();
        decided_.wait_for(lock, kDecisionCheck);
      }
    };
    runner.Post([this, context, config_text = assign.config] {
      const auto start = Clock::now();
      const nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
      if (config.is_discarded()) {
        output_.outcome = JobOutcome::kInvalid;
        output_.error = "the job's config is not valid JSON";
      } else {
        output_ = RunJob(config, context);
      }
      seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      done_.notify_all();
    });
  }
  // The job reads this object until it returns: wait for it (asked to stop first).
  ~ThreadExecution() override {
    cancel_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return finished_.load(); });
  }
  bool Finished() override { return finished_.load(); }
  void Cancel() override { cancel_ = true; }
  void WaitForEnd(Clock::duration timeout) override {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait_for(lock, timeout, [this] { return finished_.load(); });
  }
  Message TakeResult() override {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return finished_.load(); });
    Message result = NewResult();
    result.output = std::move(output_);
    result.seconds = seconds_;
    return result;
  }
  std::optional<JobProgress> TakeProgress() override {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    return std::exchange(progress_, std::nullopt);
  }
  void Decide(const Message& decision) override {
    {
      std::lock_guard<std::mutex> lock(decision_mutex_);
      decisions_[decision.epoch] = decision.go_on;
    }
    decided_.notify_all();
  }

 private:
  std::mutex decision_mutex_;
  std::condition_variable decided_;
  std::map<int64_t, bool> decisions_;  // epoch -> go on
  std::mutex progress_mutex_;
  std::optional<JobProgress> progress_;  // reported by the job, not yet taken
  std::atomic<bool> cancel_{false};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  JobOutput output_;
  double seconds_ = 0;
};

// process and host: the job runs in a job process, which the worker watches for its result, its
// exit, and its deadline. A crash, a kill or a timeout ends the attempt, never the worker.
class ChildExecution final : public Execution {
 public:
  // `process` outlives the execution (the worker owns it).
  ChildExecution(const Message& assign, JobProcess* process)
      : Execution(assign), process_(process), start_(Clock::now()) {
    if (assign.timeout_s > 0) {
      deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(assign.timeout_s));
    }
    timeout_s_ = assign.timeout_s;
    log_offset_ = static_cast<int64_t>(std::filesystem::exists(process->log_path())
                                           ? std::filesystem::file_size(process->log_path())
                                           : 0);
    if (!process_->Send(assign)) End(JobOutcome::kCrash, "the job process did not take the job");
  }

  bool Finished() override {
    if (ended_) return true;
    if (auto result = process_->PollResult()) {
      if (result->job_id == job_id() && result->attempt == attempt()) {
        result_ = std::move(*result);
        ended_ = true;
        return true;
      }
    }
    const auto now = Clock::now();
    if (process_->Exited()) {
      if (auto result = process_->PollResult()) {  // written just before it exited
        result_ = std::move(*result);
        ended_ = true;
        return true;
      }
      const int status = process_->wait_status();
      if (process_->lost_with_launcher()) {
        End(JobOutcome::kWorkerFault,
            "the job launcher (the process that starts this rank's job processes) died while the "
            "job ran, and the job's process with it: not the job's doing");
      } else if (cancelled_) {
        End(JobOutcome::kInterrupted, "stopped when the sweep was interrupted");
      } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        EndKilled(status);
      } else {
        End(JobOutcome::kCrash,
            "the job process was " + DescribeWaitStatus(status) + " before reporting a result");
      }
      return true;
    }
    if (const auto resident = process_->ResidentPastCap()) {
      process_->Signal(SIGKILL);
      WaitForExit();
      End(JobOutcome::kOom, "its resident memory, " + FormatSize(*resident) +
                                ", passed the job's cap of " +
                                FormatSize(process_->memory_bytes()) + ": killed");
      return true;
    }
    if (deadline_ && now >= *deadline_) {
      process_->Signal(SIGKILL);
      WaitForExit();
      End(JobOutcome::kTimeout,
          "still running after the job timeout of " + Seconds(timeout_s_) + ": killed");
      return true;
    }
    if (cancelled_ && now - cancelled_at_ > std::chrono::duration<double>(kCancelGraceSeconds)) {
      process_->Signal(SIGKILL);
      WaitForExit();
      End(JobOutcome::kInterrupted,
          "did not stop within " + Seconds(kCancelGraceSeconds) + " of being cancelled: killed");
      return true;
    }
    return false;
  }

  // Wakes for the job process's progress frames too: the worker passes them on at once.
  void WaitForEnd(Clock::duration timeout) override { process_->WaitForOutput(timeout); }

  std::optional<JobProgress> TakeProgress() override {
    const std::optional<Message> frame = process_->TakeProgress();
    if (!frame || frame->job_id != job_id() || frame->attempt != attempt()) return std::nullopt;
    return frame->progress;
  }

  // A job process that ended meanwhile reads nothing more: the write fails, and its end is seen.
  void Decide(const Message& decision) override { process_->Send(decision); }

  void Cancel() override {
    if (cancelled_) return;
    cancelled_ = true;
    cancelled_at_ = Clock::now();
    process_->Signal(SIGTERM);
  }

  Message TakeResult() override {
    Message result = std::move(result_);
    result.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    result.log = ReadLogTail(process_->log_path(), log_offset_, kLogBytesReturned);
    if (result.output.outcome != JobOutcome::kDone && !result.log.empty()) {
      result.output.error +=
          "\n--- last lines of the job's output ---\n" + LastLines(result.log, kErrorLogLines);
    }
    return result;
  }

  // Whether the job process can serve another job (host mode).
  bool ProcessReusable() { return !process_->Exited(); }

 private:
  static std::string Seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.3g s", s);
    return text;
  }
  void WaitForExit() {
    while (!process_->Exited()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // A SIGKILL the worker did not send: the kernel's OOM killer only where the job's memory cgroup
  // or the kernel log says so; otherwise someone else (a user, a watchdog), not the job's fault.
  void EndKilled(int status) {
    const std::optional<bool> oom = process_->OomKilled(std::chrono::milliseconds(200));
    const std::string how = "the job process was " + DescribeWaitStatus(status);
    if (oom && *oom) {
      End(JobOutcome::kOom,
          how + " by the kernel's OOM killer (" +
              std::string(process_->has_cgroup() ? "its memory cgroup" : "the kernel log") +
              " says so" +
              (process_->memory_bytes() > 0
                   ? "; the job's cap is " + FormatSize(process_->memory_bytes()) + ")"
                   : ")"));
    } else {
      End(JobOutcome::kKilled,
          how + " from outside attnsweep" +
              (!oom ? " (neither a memory cgroup nor the kernel log, unreadable here, can tell "
                      "an OOM kill from another)"
               : process_->has_cgroup() ? " (not by the OOM killer: its memory cgroup counted none)"
                                        : " (not by the OOM killer: the kernel log names none)") +
              "; it runs again if it has attempts left");
    }
  }
  void End(JobOutcome outcome, const std::string& error) {
    result_ = NewResult();
    result_.output.outcome = outcome;
    result_.output.error = error;
    ended_ = true;
  }

  JobProcess* process_;
  Clock::time_point start_;
  std::optional<Clock::time_point> deadline_;
  double timeout_s_ = 0;
  int64_t log_offset_ = 0;
  bool cancelled_ = false;
  Clock::time_point cancelled_at_{};
  bool ended_ = false;
  Message result_;
};

// The worker's job processes: a fresh one per attempt (process), or one kept for job after job and
// replaced after a failure (host).
class JobProcesses {
 public:
  JobProcesses(std::string log_dir, int threads, JobLauncher* launcher)
      : log_dir_(std::move(log_dir)), threads_(threads), launcher_(launcher) {}
  ~JobProcesses() {
    host_.reset();
    per_job_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(log_dir_, ignored);
  }

  // The process to run `assign` in, or nullptr with `error` set.
  JobProcess* For(const Message& assign, std::string* error) {
    std::filesystem::create_directories(log_dir_);
    if (assign.isolation == "host") {
      if (host_ && (host_->Exited() || host_->memory_bytes() != assign.memory_bytes)) host_.reset();
      if (!host_) {
        host_ = JobProcess::Spawn(log_dir_ + "/host-" + std::to_string(++spawned_) + ".log",
                                  assign.memory_bytes, threads_, launcher_, error);
      }
      return host_.get();
    }
    per_job_ = JobProcess::Spawn(log_dir_ + "/job-" + std::to_string(assign.job_id) + "-" +
                                     std::to_string(assign.attempt) + ".log",
                                 assign.memory_bytes, threads_, launcher_, error);
    return per_job_.get();
  }

  // After an attempt: a per-job process is done with; a host process that failed is replaced.
  void Release(bool host_still_usable) {
    if (per_job_) {
      const std::string log = per_job_->log_path();
      per_job_.reset();
      std::filesystem::remove(log);
    }
    if (host_ && !host_still_usable) host_.reset();
  }

 private:
  std::string log_dir_;
  int threads_;
  JobLauncher* launcher_;
  int spawned_ = 0;
  std::unique_ptr<JobProcess> host_;
  std::unique_ptr<JobProcess> per_job_;
};

// The worker's side of the protocol, one step at a time: RunWorker calls RunOnce until it says the
// worker is done, as the coordinator's loop does (coordinator.h).
class Worker {
 public:
  Worker(Transport& transport, const WorkerOptions& options)
      : transport_(transport),
        options_(options),
        processes_(LogDir(transport, options), options.threads, options.launcher) {
    Message hello;
    hello.type = MessageType::kHello;
    hello.host = options_.host;
    hello.pid = static_cast<int>(getpid());
    hello.threads = options_.threads;
    hello.node_threads = std::max(options_.threads, options_.node_threads);
    hello.device = options_.device;
    hello.device_error = options_.device_error;
    SendMessage(transport_, options_.coordinator, hello);
  }

  // Handles what arrived, advances the job in flight and waits a little when nothing happened.
  // False once the worker is to leave, with exit_code() saying how.
  bool RunOnce() {
    bool progressed = false;
    while (auto received = PollMessage(transport_)) {
      progressed = true;
      if (!Handle(*received)) return false;
    }
    const bool ended = job_ && job_->Finished();
    if (job_) {
      if (auto latest = job_->TakeProgress(); latest && latest != progress_) {
        progress_ = std::move(latest);
        progress_unsent_ = true;
      }
    }
    const auto now = Clock::now();
    // New progress goes at once (kProgressGap apart at most), and before the result in any case:
    // the coordinator hears the last epoch of a job that ends right after it.
    if (progress_unsent_ && (ended || now - last_progress_sent_ >= kProgressGap)) {
      SendHeartbeat(now);
    }
    if (ended) {
      FinishJob();
      progress_.reset();
      progressed = true;
    }
    if (job_ && now - last_heartbeat_ >= std::chrono::duration<double>(options_.heartbeat_s)) {
      SendHeartbeat(now);
    }
    if (options_.interrupt_requested()) {
      // A job process has no signal of its own here (its group is not the worker's): pass it on.
      if (job_) job_->Cancel();
      // Leave once the job has stopped and the coordinator had time to say shut down.
      if (interrupted_at_ == Clock::time_point{}) {
        interrupted_at_ = now;
        // At once, before the job has stopped: a coordinator on another host takes a worker that
        // stays silent after an interrupt for one its job took down (coordinator.h).
        if (job_) SendHeartbeat(now);
      }
      if (!job_ &&
          now - interrupted_at_ >= std::chrono::duration<double>(options_.interrupt_grace_s)) {
        transport_.Flush(0.5);
        exit_code_ = kExitInterrupted;
        return false;
      }
    }
    if (progressed) {
      poller_.Active();
      return true;
    }
    if (job_) {
      // Until the job ends (it wakes us), or a look at messages (a cancel, a shutdown), the
      // heartbeat and the signals, which wait a millisecond at most.
      job_->WaitForEnd(std::min<Clock::duration>(
          kMessageCheck, last_heartbeat_ + DurationOf(options_.heartbeat_s) - Clock::now()));
    } else {
      // Idle: until the next job arrives (polled: MPI cannot wake us), or a look at the signals.
      poller_.WaitUntil([&] { return transport_.HasMessage() || options_.interrupt_requested(); },
                        now + kIdleCheck);
    }
    return true;
  }

  // The coordinator's shutdown code, or kExitInterrupted.
  int exit_code() const { return exit_code_; }

 private:
  static std::string LogDir(const Transport& transport, const WorkerOptions& options) {
    if (!options.log_dir.empty()) return options.log_dir;
    return (std::filesystem::temp_directory_path() /
            ("attnsweep-jobs-" + std::to_string(getpid()) + "-" + std::to_string(transport.rank())))
        .string();
  }

  // False when the message says leave (shutdown).
  bool Handle(const Received& received) {
    const Message& message = received.message;
    switch (message.type) {
      case MessageType::kAssign:
        Start(message);
        return true;
      case MessageType::kCancel:
        if (job_ && job_->job_id() == message.job_id && job_->attempt() == message.attempt) {
          job_->Cancel();
        }
        return true;
      case MessageType::kDecision:
        if (job_ && job_->job_id() == message.job_id && job_->attempt() == message.attempt) {
          job_->Decide(message);
        }
        return true;
      case MessageType::kShutdown:
        if (job_) job_->Cancel();
        job_.reset();
        exit_code_ = message.exit_code;
        return false;
      default:
        spdlog::warn("ignored an unexpected {} message from rank {}", MessageTypeName(message.type),
                     received.source);
        return true;
    }
  }

  void Start(const Message& assign) {
    if (job_) {
      spdlog::error("assigned job #{} while still running job #{}; refusing it", assign.job_id,
                    job_->job_id());
      return;
    }
    progress_.reset();
    progress_unsent_ = false;
    if (assign.isolation == "inproc") {
      if (!inproc_thread_) inproc_thread_ = std::make_unique<InprocThread>();
      job_ = std::make_unique<ThreadExecution>(assign, options_.threads,
                                               options_.interrupt_requested, *inproc_thread_);
      return;
    }
    std::string error;
    JobProcess* process = processes_.For(assign, &error);
    if (process == nullptr) {
      Message failed;
      failed.type = MessageType::kResult;
      failed.job_id = assign.job_id;
      failed.attempt = assign.attempt;
      // Its process could not be started: the worker's machinery, never the job's fault.
      failed.output.outcome = JobOutcome::kWorkerFault;
      failed.output.error = error;
      SendMessage(transport_, options_.coordinator, failed);
      return;
    }
    job_ = std::make_unique<ChildExecution>(assign, process);
    last_heartbeat_ = Clock::now();
  }

  void FinishJob() {
    auto* child = dynamic_cast<ChildExecution*>(job_.get());
    const bool reusable = child == nullptr || child->ProcessReusable();
    Message result = job_->TakeResult();
    job_.reset();
    processes_.Release(reusable && result.output.outcome != JobOutcome::kTimeout);
    SendMessage(transport_, options_.coordinator, result);
  }

  void SendHeartbeat(Clock::time_point now) {
    Message heartbeat;
    heartbeat.type = MessageType::kHeartbeat;
    heartbeat.job_id = job_->job_id();
    heartbeat.attempt = job_->attempt();
    heartbeat.progress = progress_;
    SendMessage(transport_, options_.coordinator, heartbeat);
    last_heartbeat_ = now;
    if (progress_unsent_) last_progress_sent_ = now;
    progress_unsent_ = false;
  }

  Transport& transport_;
  const WorkerOptions& options_;
  JobProcesses processes_;
  std::unique_ptr<InprocThread> inproc_thread_;  // started with the first inproc job
  std::unique_ptr<Execution> job_;  // after the thread: an execution ends before its thread does
  Clock::time_point last_heartbeat_ = Clock::now();
  // The running job's latest progress, and whether the coordinator has yet to hear it.
  std::optional<JobProgress> progress_;
  bool progress_unsent_ = false;
  Clock::time_point last_progress_sent_{};
  Clock::time_point interrupted_at_{};
  Poller poller_;
  int exit_code_ = kExitInterrupted;
};

}  // namespace

int RunWorker(Transport& transport, const WorkerOptions& options) {
  Worker worker(transport, options);
  while (worker.RunOnce()) {
  }
  return worker.exit_code();
}

}  // namespace attnsweep
