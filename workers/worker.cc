#include "workers/worker.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "experiments/job_runner.h"
#include "workers/exit_codes.h"

namespace attnsweep {
namespace {

using Clock = std::chrono::steady_clock;

// One attempt running in its own thread. The thread touches only this object until `finished`.
class RunningJob {
 public:
  RunningJob(const Message& assign, int threads, std::function<bool()> interrupted)
      : job_id_(assign.job_id), attempt_(assign.attempt) {
    JobContext context;
    context.threads = threads;
    context.stop_requested = [this, interrupted] { return cancel_.load() || interrupted(); };
    thread_ = std::thread([this, context, config_text = assign.config] {
      const auto start = Clock::now();
      const nlohmann::json config = nlohmann::json::parse(config_text, nullptr, false);
      if (config.is_discarded()) {
        output_.outcome = JobOutcome::kInvalid;
        output_.error = "the job's config is not valid JSON";
      } else {
        output_ = RunJob(config, context);
      }
      seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
      finished_ = true;
    });
  }
  ~RunningJob() {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
  }

  int64_t job_id() const { return job_id_; }
  int attempt() const { return attempt_; }
  bool finished() const { return finished_.load(); }
  void Cancel() { cancel_ = true; }

  Message ResultMessage() {
    thread_.join();
    Message result;
    result.type = MessageType::kResult;
    result.job_id = job_id_;
    result.attempt = attempt_;
    result.output = std::move(output_);
    result.seconds = seconds_;
    return result;
  }

 private:
  int64_t job_id_;
  int attempt_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> finished_{false};
  JobOutput output_;
  double seconds_ = 0;
  std::thread thread_;
};

}  // namespace

int RunWorker(Transport& transport, const WorkerOptions& options) {
  Message hello;
  hello.type = MessageType::kHello;
  hello.host = options.host;
  hello.pid = static_cast<int>(getpid());
  hello.threads = options.threads;
  SendMessage(transport, options.coordinator, hello);

  std::unique_ptr<RunningJob> job;
  auto last_heartbeat = Clock::now();
  Clock::time_point interrupted_at{};
  auto idle_sleep = std::chrono::milliseconds(1);
  for (;;) {
    bool progressed = false;
    while (auto received = PollMessage(transport)) {
      progressed = true;
      const Message& message = received->message;
      switch (message.type) {
        case MessageType::kAssign:
          if (job) {
            spdlog::error("assigned job #{} while still running job #{}; refusing it",
                          message.job_id, job->job_id());
            break;
          }
          job = std::make_unique<RunningJob>(message, options.threads, options.interrupt_requested);
          last_heartbeat = Clock::now();
          break;
        case MessageType::kCancel:
          if (job && job->job_id() == message.job_id && job->attempt() == message.attempt) {
            job->Cancel();
          }
          break;
        case MessageType::kShutdown:
          job.reset();  // cancels and joins
          return message.exit_code;
        default:
          spdlog::warn("ignored an unexpected {} message from rank {}",
                       MessageTypeName(message.type), received->source);
      }
    }
    if (job && job->finished()) {
      SendMessage(transport, options.coordinator, job->ResultMessage());
      job.reset();
      progressed = true;
    }
    const auto now = Clock::now();
    if (job && now - last_heartbeat >= std::chrono::duration<double>(options.heartbeat_s)) {
      Message heartbeat;
      heartbeat.type = MessageType::kHeartbeat;
      heartbeat.job_id = job->job_id();
      heartbeat.attempt = job->attempt();
      SendMessage(transport, options.coordinator, heartbeat);
      last_heartbeat = now;
    }
    if (options.interrupt_requested()) {
      // The job sees the same flag and stops; leave once it has, or the coordinator is gone.
      if (interrupted_at == Clock::time_point{}) interrupted_at = now;
      if (!job &&
          now - interrupted_at >= std::chrono::duration<double>(options.interrupt_grace_s)) {
        transport.Flush(0.5);
        return kExitInterrupted;
      }
    }
    if (progressed) {
      idle_sleep = std::chrono::milliseconds(1);
    } else {
      std::this_thread::sleep_for(idle_sleep);
      idle_sleep = std::min(idle_sleep * 2, std::chrono::milliseconds(20));
    }
  }
}

}  // namespace attnsweep
