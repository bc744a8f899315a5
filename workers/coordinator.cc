#include "workers/coordinator.h"

#include "workers/exit_codes.h"
#include "workers/job_logs.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace attnsweep {
namespace {

// "speed #12 [softmax, max_len=1024, seed=1]": enough to recognise a job in a log.
std::string Describe(const JobRecord& job) {
  const nlohmann::json config = nlohmann::json::parse(job.config, nullptr, false);
  std::string text = job.experiment + " #" + std::to_string(job.id) + " [" +
                     config.value("task", std::string("?"));
  if (config.contains("model")) text += ", " + config["model"].value("attention", std::string());
  if (config.contains("data")) {
    text += ", max_len=" + std::to_string(config["data"].value("max_len", 0));
  }
  text += ", seed=" + std::to_string(config.value("seed", 0)) + "]";
  return text;
}

bool CheaperFirst(const JobRecord& a, const JobRecord& b) {
  return a.cost != b.cost ? a.cost < b.cost : a.id > b.id;
}

double SecondsBetween(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

Coordinator::Coordinator(Transport& transport, ResultStore& store, int64_t batch_id,
                         CoordinatorOptions options)
    : transport_(transport), store_(store), batch_id_(batch_id), options_(std::move(options)) {
  pending_ = store_.PendingJobs(batch_id_);
  std::sort(pending_.begin(), pending_.end(), CheaperFirst);
  double total_cost = 0;
  for (const auto& job : pending_) total_cost += job.cost;
  progress_ = std::make_unique<ProgressLine>(static_cast<int64_t>(pending_.size()), total_cost);
}

int Coordinator::InFlight() const {
  int busy = 0;
  for (const auto& [rank, worker] : workers_) busy += worker.job_id != 0;
  return busy;
}

void Coordinator::ReturnToPending(const JobRecord& job) {
  pending_.insert(std::upper_bound(pending_.begin(), pending_.end(), job, CheaperFirst), job);
}

bool Coordinator::IsExclusive(const JobRecord& job) {
  auto it = exclusive_.find(job.id);
  if (it != exclusive_.end()) return it->second;
  const auto config = nlohmann::json::parse(job.config, nullptr, false);
  const bool exclusive = config.is_object() && config.value("task", "") == "benchmark" &&
                         config.contains("bench") && config["bench"].value("exclusive", false);
  return exclusive_[job.id] = exclusive;
}

int Coordinator::RunningOn(const std::string& host, bool* exclusive_running) {
  int running = 0;
  *exclusive_running = false;
  for (const auto& [rank, worker] : workers_) {
    if (worker.job_id == 0 || worker.host != host) continue;
    ++running;
    if (IsExclusive(running_.at(worker.job_id))) *exclusive_running = true;
  }
  return running;
}

void Coordinator::NoteNodeSharing(const std::string& host) {
  bool exclusive_running;
  const int running = RunningOn(host, &exclusive_running);
  for (const auto& [rank, worker] : workers_) {
    if (worker.job_id == 0 || worker.host != host) continue;
    int& most = node_jobs_[worker.job_id];
    most = std::max(most, running);
  }
}

std::optional<JobRecord> Coordinator::TakeJobFor(int rank) {
  if (pending_.empty()) return std::nullopt;
  bool exclusive_running;
  const int busy = RunningOn(workers_.at(rank).host, &exclusive_running);
  if (exclusive_running) return std::nullopt;
  auto chosen = pending_.end();
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (busy > 0 && IsExclusive(*it)) continue;  // it waits for an idle node
    const auto tried = tried_on_.find(it->id);
    const bool fresh =
        tried == tried_on_.end() ||
        std::find(tried->second.begin(), tried->second.end(), rank) == tried->second.end();
    if (chosen == pending_.end()) chosen = std::prev(it.base());
    if (fresh) {
      chosen = std::prev(it.base());
      break;
    }
  }
  if (chosen == pending_.end()) return std::nullopt;
  JobRecord job = *chosen;
  pending_.erase(chosen);
  return job;
}

Message Coordinator::AssignmentFor(const JobRecord& job, int attempt) const {
  const nlohmann::json limits = nlohmann::json::parse(job.limits, nullptr, false);
  auto limit = [&](const char* key, auto fallback) {
    return limits.is_object() && limits.contains(key) ? limits[key].get<decltype(fallback)>()
                                                      : fallback;
  };
  Message assign;
  assign.type = MessageType::kAssign;
  assign.job_id = job.id;
  assign.attempt = attempt;
  assign.config = job.config;
  assign.isolation = limit("isolation", options_.isolation);
  if (assign.isolation == "auto") {
    // Sleep jobs do no LibTorch work: a thread is enough. Anything else gets a process of its own.
    const bool sleep =
        nlohmann::json::parse(job.config, nullptr, false).value("task", "") == "sleep";
    assign.isolation = sleep ? "inproc" : "process";
  }
  assign.timeout_s = limit("timeout_s", options_.job_timeout_s);
  assign.memory_bytes = limit("memory_bytes", options_.job_memory_bytes);
  if (!options_.checkpoint_root.empty()) {
    assign.checkpoint = options_.checkpoint_root + "/" + job.job_key + ".pt";
  }
  return assign;
}

int Coordinator::MaxAttempts(const JobRecord& job) const {
  const nlohmann::json limits = nlohmann::json::parse(job.limits, nullptr, false);
  return limits.is_object() && limits.contains("max_attempts") ? limits["max_attempts"].get<int>()
                                                               : options_.max_attempts;
}

void Coordinator::KeepLog(const Worker& worker, int rank, const Message& result) {
  if (options_.log_root.empty()) return;
  const std::filesystem::path path = JobLogPath(options_.log_root, batch_id_, result.job_id);
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  std::ofstream log(path, std::ios::app);
  log << "=== attempt " << result.attempt << " on rank " << rank << " (" << worker.host
      << "): " << JobOutcomeName(result.output.outcome) << " after " << result.seconds << " s\n";
  if (result.log.empty()) {
    log << "(no output captured: the job ran in the worker's own thread)\n";
  } else {
    log << result.log << (result.log.back() == '\n' ? "" : "\n");
  }
  if (result.output.outcome != JobOutcome::kDone) {
    log << "--- " << JobOutcomeName(result.output.outcome) << ": "
        << result.output.error.substr(0, result.output.error.find("\n--- last lines")) << "\n";
  }
  if (!log) {
    spdlog::warn("could not write the log of job #{} to {}", result.job_id, path.string());
  }
}

void Coordinator::Handle(int source, const Message& message) {
  if (message.type == MessageType::kHello) {
    Worker& worker = workers_[source];
    worker.host = message.host;
    worker.threads = message.threads;
    worker.last_heard = Clock::now();
    spdlog::debug("rank {} ready on {} (pid {}, {} threads)", source, message.host, message.pid,
                  message.threads);
    return;
  }
  auto found = workers_.find(source);
  if (found == workers_.end()) {
    spdlog::warn("ignored a {} message from rank {}, which never said hello",
                 MessageTypeName(message.type), source);
    return;
  }
  Worker& worker = found->second;
  worker.last_heard = Clock::now();
  if (message.type == MessageType::kResult) {
    HandleResult(source, worker, message);
  } else if (message.type != MessageType::kHeartbeat) {
    spdlog::warn("ignored an unexpected {} message from rank {}", MessageTypeName(message.type),
                 source);
  }
}

void Coordinator::HandleResult(int source, Worker& worker, const Message& message) {
  const bool current = worker.job_id == message.job_id && worker.attempt == message.attempt;
  const JobOutput& output = message.output;
  const std::string name = current ? worker.description : "job #" + std::to_string(message.job_id);
  bool stored = false;
  progress_->ClearForLog();
  if (output.outcome == JobOutcome::kDone) {
    std::vector<Metric> metrics;
    for (const auto& [metric, value] : output.metrics) metrics.push_back({metric, value});
    if (current) {
      metrics.push_back({"node_jobs", static_cast<double>(node_jobs_[message.job_id])});
    }
    std::vector<CurvePoint> curves;
    for (const auto& c : output.curves) curves.push_back({c.step, c.name, c.value});
    stored = store_.CommitResult(message.job_id, message.attempt, metrics, curves);
    if (stored) {
      ++report_.done;
      progress_->JobFinished(true, worker.cost);
      spdlog::info("[{}] done {} on rank {} in {:.2f} s", progress_->Count(), name, source,
                   message.seconds);
    }
  } else if (output.outcome == JobOutcome::kInterrupted) {
    // Not the job's fault: it goes back to pending and runs again on resume.
    stored = store_.RecordFailure(message.job_id, message.attempt, JobOutcomeName(output.outcome),
                                  output.error, /*retry=*/true);
    if (stored && current) ReturnToPending(running_.at(message.job_id));
    // A worker reports an interruption only when it was signalled itself: it is shutting down.
    worker.dead = true;
  } else {
    // A crash or a timeout may be the machine's fault: try again, elsewhere if possible, within the
    // job's budget. An error, oom, diverged or invalid job would only fail again.
    const bool retriable =
        output.outcome == JobOutcome::kCrash || output.outcome == JobOutcome::kTimeout;
    const int budget = current ? MaxAttempts(running_.at(message.job_id)) : options_.max_attempts;
    const bool retry = retriable && current && store_.CountedAttempts(message.job_id) + 1 < budget;
    stored = store_.RecordFailure(message.job_id, message.attempt, JobOutcomeName(output.outcome),
                                  output.error, retry);
    const std::string first_line = output.error.substr(0, output.error.find('\n'));
    if (stored && retry) {
      tried_on_[message.job_id].push_back(source);
      ReturnToPending(running_.at(message.job_id));
      spdlog::warn("{} {} on rank {}: {}; it will run again", JobOutcomeName(output.outcome), name,
                   source, first_line);
    } else if (stored) {
      ++report_.failed;
      progress_->JobFinished(false, worker.cost);
      spdlog::error("[{}] {} {} on rank {}: {}", progress_->Count(), JobOutcomeName(output.outcome),
                    name, source, first_line);
    }
  }
  if (current) KeepLog(worker, source, message);
  if (!stored) {
    ++report_.stale_dropped;
    spdlog::warn(
        "dropped a late result of job #{} attempt {} from rank {}: that attempt is no "
        "longer current",
        message.job_id, message.attempt, source);
  }
  if (current) {
    running_.erase(worker.job_id);
    worker.job_id = 0;
    worker.attempt = 0;
  }
  progressed_ = true;
  progress_->Print();
}

void Coordinator::AssignWork() {
  if (draining_) return;
  for (auto& [rank, worker] : workers_) {
    if (pending_.empty()) return;
    if (worker.dead || worker.job_id != 0) continue;
    while (auto next = TakeJobFor(rank)) {
      const JobRecord job = *next;
      const int recorded_rank = options_.worker_in_process ? transport_.rank() : rank;
      Message assign = AssignmentFor(job, 0);
      AttemptPlace place{recorded_rank, worker.host, "cpu", worker.threads, assign.isolation};
      const int attempt = store_.StartAttempt(job.id, place);
      assign.attempt = attempt;
      if (attempt == 0) continue;  // no longer pending (taken over elsewhere)
      worker.job_id = job.id;
      worker.attempt = attempt;
      worker.cost = job.cost;
      worker.description = Describe(job);
      worker.started = worker.last_heard = Clock::now();
      running_[job.id] = job;
      node_jobs_.erase(job.id);
      NoteNodeSharing(worker.host);
      SendMessage(transport_, rank, assign);
      ++report_.started;
      if (std::find(report_.ranks_used.begin(), report_.ranks_used.end(), rank) ==
          report_.ranks_used.end()) {
        report_.ranks_used.push_back(rank);
      }
      spdlog::debug("start {} on rank {} (attempt {})", worker.description, rank, attempt);
      progressed_ = true;
      break;
    }
  }
}

void Coordinator::CheckSilentWorkers(Clock::time_point now) {
  for (auto& [rank, worker] : workers_) {
    if (worker.dead || worker.job_id == 0) continue;
    if (SecondsBetween(worker.last_heard, now) < options_.worker_timeout_s) continue;
    const JobRecord job = running_.at(worker.job_id);
    const bool retry = store_.CountedAttempts(job.id) + 1 < MaxAttempts(job);
    progress_->ClearForLog();
    spdlog::error(
        "rank {} has not been heard from for {:.0f} s while running {}: its attempt is "
        "lost{}",
        rank, options_.worker_timeout_s, worker.description,
        retry ? "; the job goes to another worker" : " and the job has no attempts left");
    store_.RecordFailure(job.id, worker.attempt, "lost",
                         "rank " + std::to_string(rank) + " went silent", retry);
    ++report_.lost;
    if (retry) {
      tried_on_[job.id].push_back(rank);
      ReturnToPending(job);
    } else {
      ++report_.failed;
      progress_->JobFinished(false, job.cost);
    }
    running_.erase(job.id);
    worker.dead = true;
    worker.job_id = 0;
    progressed_ = true;
  }
}

void Coordinator::Interrupt() {
  // Mark what is in flight first: the process may be killed soon after (mpirun sends SIGKILL).
  for (auto& [rank, worker] : workers_) {
    if (worker.job_id == 0) continue;
    store_.RecordFailure(worker.job_id, worker.attempt, JobOutcomeName(JobOutcome::kInterrupted),
                         "the sweep was interrupted", /*retry=*/true);
    Message cancel;
    cancel.type = MessageType::kCancel;
    cancel.job_id = worker.job_id;
    cancel.attempt = worker.attempt;
    SendMessage(transport_, rank, cancel);
    running_.erase(worker.job_id);
    worker.job_id = 0;
  }
}

void Coordinator::Finish(SweepEnd end) {
  finished_ = true;
  report_.end = end;
  progress_->Finish();
  const auto summary = store_.FindBatch(batch_id_);
  switch (end) {
    case SweepEnd::kFinished:
      report_.exit_code = summary && summary->failed > 0 ? kExitJobsFailed : kExitOk;
      store_.FinishBatch(batch_id_, report_.exit_code == kExitOk ? "done" : "failed");
      break;
    case SweepEnd::kInterrupted:
      report_.exit_code = kExitInterrupted;
      store_.FinishBatch(batch_id_, "interrupted");
      break;
    case SweepEnd::kDrained:
      report_.exit_code = kExitInterrupted;
      store_.FinishBatch(batch_id_, "stopped");
      store_.ClearStopRequest(batch_id_);
      break;
    case SweepEnd::kLeaseLost:
      report_.exit_code = kExitStoreError;
      break;
  }
  if (end != SweepEnd::kLeaseLost) store_.ReleaseLease(batch_id_, options_.lease_owner);
  Message shutdown;
  shutdown.type = MessageType::kShutdown;
  shutdown.exit_code = report_.exit_code;
  for (int rank = 0; rank < transport_.size(); ++rank) {
    if (rank != transport_.rank()) SendMessage(transport_, rank, shutdown);
  }
  transport_.Flush(2.0);
}

bool Coordinator::RunOnce() {
  if (finished_) return false;
  progressed_ = false;
  while (auto received = PollMessage(transport_)) {
    Handle(received->source, received->message);
    progressed_ = true;
  }
  if (options_.interrupt_requested()) {
    Interrupt();
    Finish(SweepEnd::kInterrupted);
    return false;
  }
  const auto now = Clock::now();
  if (SecondsBetween(last_lease_renewal_, now) >= options_.lease_renew_s) {
    last_lease_renewal_ = now;
    if (!store_.RenewLease(batch_id_, options_.lease_owner, options_.lease_ttl_s)) {
      spdlog::error("lost the lease of batch {} to another coordinator; stopping", batch_id_);
      Finish(SweepEnd::kLeaseLost);
      return false;
    }
  }
  if (!draining_ && SecondsBetween(last_stop_poll_, now) >= options_.stop_poll_s) {
    last_stop_poll_ = now;
    if (store_.StopRequested(batch_id_)) {
      draining_ = true;
      spdlog::warn(
          "`attnsweep stop` asked batch {} to drain: finishing {} running jobs, starting "
          "no new ones",
          batch_id_, InFlight());
    }
  }
  if (!draining_ && options_.drain_requested()) {
    draining_ = true;
    spdlog::warn("SIGUSR1: draining batch {}: finishing {} running jobs, starting no new ones",
                 batch_id_, InFlight());
  }
  CheckSilentWorkers(now);
  AssignWork();
  if (InFlight() == 0 && (pending_.empty() || draining_)) {
    Finish(pending_.empty() ? SweepEnd::kFinished : SweepEnd::kDrained);
    return false;
  }
  return true;
}

namespace {
double ThreadCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}
}  // namespace

const SweepReport& Coordinator::Run() {
  const double cpu_start = ThreadCpuSeconds();
  const auto wall_start = Clock::now();
  auto idle_sleep = std::chrono::milliseconds(1);
  while (RunOnce()) {
    if (progressed_) {
      idle_sleep = std::chrono::milliseconds(1);
      continue;
    }
    std::this_thread::sleep_for(idle_sleep);
    idle_sleep = std::min(idle_sleep * 2, std::chrono::milliseconds(20));
  }
  report_.coordinator_cpu_s = ThreadCpuSeconds() - cpu_start;
  report_.wall_s = SecondsBetween(wall_start, Clock::now());
  return report_;
}

}  // namespace attnsweep
