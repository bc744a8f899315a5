#include "workers/coordinator.h"

#include "experiments/base/exit_codes.h"
#include "experiments/config_keys.h"
#include "experiments/job_progress_json.h"
#include "workers/device_placement.h"
#include "workers/job_logs.h"
#include "workers/placement.h"
#include "workers/poll_wait.h"
#include "workers/process_liveness.h"
#include "workers/stored_jobs.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace attnsweep {
namespace {

// Attempts in a row that a worker's machinery ends (worker_fault) before it gets no more jobs: one
// is a launcher killed under a job, which the worker gets over by starting job processes itself.
constexpr int kWorkerFaultsToLeave = 3;

double SecondsBetween(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string Describe(const ScheduledJob& job) {
  return job.record.experiment + " #" + std::to_string(job.record.id) + " [" + job.plan.task +
         (job.plan.label.empty() ? "" : ", " + job.plan.label) + "]";
}

}  // namespace

Coordinator::Coordinator(Transport& transport, ResultStore& store, int64_t batch_id,
                         CoordinatorOptions options)
    : transport_(transport),
      store_(store),
      batch_id_(batch_id),
      options_(std::move(options)),
      cost_model_(CostModelFromStore(store)),
      scheduler_(options_.max_attempts),
      writes_(store, options_.store_writes),
      stopping_(store, writes_, batch_id) {
  // Progress lines name each job by the keys that vary within its experiment.
  std::map<std::string, std::vector<nlohmann::json>> configs;  // experiment -> its jobs' configs
  for (const JobRecord& job : store_.JobsWithMetrics(batch_id_)) {
    configs[job.experiment].push_back(nlohmann::json::parse(job.config));
  }
  std::map<std::string, std::vector<std::string>> varying;
  for (const auto& [experiment, list] : configs) varying[experiment] = VaryingConfigKeys(list);
  const std::vector<JobRecord> pending = store_.PendingJobs(batch_id_);
  for (const JobRecord& job : pending) {
    Queue(job, JobLabel(nlohmann::json::parse(job.config), varying[job.experiment]));
  }
  progress_ = std::make_unique<ProgressLine>(static_cast<int64_t>(pending.size()));
  spdlog::debug("cost model: {} jobs of history in the store", cost_model_.observations());
}

void Coordinator::Queue(JobRecord record, std::string label) {
  attempts_[record.id] = record.attempts;
  ScheduledJob job;
  job.plan = PlanOfStoredJob(record);
  job.plan.label = std::move(label);
  job.estimate_s = cost_model_.Estimate(record.job_key, job.plan.cost_group, job.plan.estimate_s);
  job.record = std::move(record);
  scheduler_.Add(std::move(job));
}

int Coordinator::CountedAttempts(int64_t job_id) {
  writes_.Flush();
  return store_.CountedAttempts(job_id);
}

int Coordinator::InFlight() const {
  int busy = 0;
  for (const auto& [rank, worker] : workers_) busy += worker.job.has_value();
  return busy;
}

void Coordinator::EndAttempt(Worker& worker) {
  scheduler_.Ended(worker.unit, worker.job->plan);
  worker.job.reset();
  worker.attempt = 0;
  worker.progress.reset();
}

void Coordinator::NoteNodeSharing(const std::string& unit) {
  const int running = scheduler_.RunningOn(unit);
  for (const auto& [rank, worker] : workers_) {
    if (!worker.job || worker.unit != unit) continue;
    int& most = node_jobs_[worker.job->record.id];
    most = std::max(most, running);
  }
}

int Coordinator::ThreadsFor(const JobPlan& plan, const Worker& worker) const {
  // A job holding a GPU holds it alone, not the node: the workers of its other GPUs run on.
  const bool holds_node = plan.needs_node && worker.unit == worker.host;
  return holds_node ? std::max(worker.threads, worker.node_threads) : worker.threads;
}

bool Coordinator::NoWorkerLeft() const {
  const size_t expected = static_cast<size_t>(std::max(1, transport_.size() - 1));
  if (workers_.size() < expected) return false;
  for (const auto& [rank, worker] : workers_) {
    if (!worker.dead) return false;
  }
  return true;
}

Message Coordinator::AssignmentFor(const ScheduledJob& job, int attempt, int threads) const {
  Message assign;
  assign.type = MessageType::kAssign;
  assign.job_id = job.record.id;
  assign.attempt = attempt;
  assign.config = job.record.config;
  assign.timeout_s = job.plan.timeout_s.value_or(options_.job_timeout_s);
  assign.memory_bytes = job.plan.memory_bytes.value_or(options_.job_memory_bytes);
  assign.isolation =
      job.plan.IsolationUnder(options_.isolation, assign.timeout_s > 0 || assign.memory_bytes > 0);
  assign.threads = threads;
  if (!options_.checkpoint_root.empty()) {
    assign.checkpoint = CheckpointPath(options_.checkpoint_root, job.record.job_key);
  }
  if (job.plan.early_stopping) assign.decision_epochs = job.plan.early_stopping->DecisionEpochs();
  return assign;
}

std::optional<double> Coordinator::EtaSeconds() const {
  std::vector<UnfinishedJob> jobs;
  for (const ScheduledJob& queued : scheduler_.queued()) {
    UnfinishedJob job;
    job.expected_s = queued.estimate_s;
    job.needs_node = queued.plan.needs_node;
    jobs.push_back(job);
  }
  std::map<std::string, int> unit_workers;  // live workers by what their exclusive jobs hold
  const auto now = Clock::now();
  for (const auto& [rank, worker] : workers_) {
    if (worker.dead) continue;
    ++unit_workers[worker.unit];
    if (!worker.job) continue;
    UnfinishedJob job;
    job.expected_s = worker.job->estimate_s;
    job.needs_node = worker.job->plan.needs_node;
    job.running = true;
    job.elapsed_s = SecondsBetween(worker.started, now);
    job.progress = worker.progress;
    jobs.push_back(std::move(job));
  }
  if (unit_workers.empty()) return std::nullopt;
  std::vector<int> node_workers;
  for (const auto& [unit, count] : unit_workers) node_workers.push_back(count);
  return RemainingMakespan(jobs, node_workers);
}

void Coordinator::RecordNodes() {
  std::set<std::string> units;
  for (const auto& [rank, worker] : workers_) {
    if (!worker.dead) units.insert(worker.unit);
  }
  const int nodes = static_cast<int>(units.size());
  if (nodes == 0 || nodes == nodes_recorded_) return;
  store_.SetBatchNodes(batch_id_, nodes);
  nodes_recorded_ = nodes;
}

void Coordinator::NoteProgress(int rank, Worker& worker, const Message& heartbeat) {
  // Only the current attempt's: a heartbeat of an attempt given up on says nothing of the job now
  // (and the store would refuse it).
  if (!worker.job || worker.job->record.id != heartbeat.job_id ||
      worker.attempt != heartbeat.attempt) {
    return;
  }
  if (worker.progress == heartbeat.progress) return;  // each heartbeat repeats the latest
  worker.progress = heartbeat.progress;
  writes_.RecordProgress(heartbeat.job_id, heartbeat.attempt,
                         JobProgressToJson(*heartbeat.progress).dump());
  spdlog::debug("{}: epoch {}/{}, {} {}", Describe(*worker.job), worker.progress->epoch,
                worker.progress->epochs, worker.progress->metric, worker.progress->value);
  // The line's ETA moves with the epochs of a long job, not only when jobs end.
  progress_->Print([this] { return EtaSeconds(); });
  DecideOnStopping(rank, worker);
}

void Coordinator::DecideOnStopping(int rank, Worker& worker) {
  const auto decision =
      stopping_.Decide(worker.job->record.id, worker.attempt, worker.job->plan, *worker.progress);
  if (!decision) return;
  progress_->ClearForLog();
  spdlog::info("{}: {}: {}", Describe(*worker.job), decision->reason,
               decision->go_on ? "goes on" : "stops here");
  Message answer;
  answer.type = MessageType::kDecision;
  answer.job_id = worker.job->record.id;
  answer.attempt = worker.attempt;
  answer.epoch = decision->epoch;
  answer.go_on = decision->go_on;
  answer.reason = decision->reason;
  SendMessage(transport_, rank, answer);
}

void Coordinator::KeepLog(const Worker& worker, int rank, const Message& result) {
  if (options_.log_root.empty()) return;
  // A done attempt that ran in its worker's thread has nothing to keep (`attnsweep logs` says
  // so): creating a file per job cost a sweep of short jobs a fifth of its time.
  if (result.log.empty() && result.output.outcome == JobOutcome::kDone) return;
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
    worker.pid = message.pid;
    worker.threads = message.threads;
    worker.node_threads = message.node_threads;
    worker.device = message.device.empty() ? "cpu" : message.device;
    worker.unit = ExclusiveUnit(worker.host, worker.device);
    worker.last_heard = Clock::now();
    if (!message.device_error.empty()) {
      worker.dead = true;
      progress_->ClearForLog();
      spdlog::error("rank {} on {} runs no job: {}", source, message.host, message.device_error);
      return;
    }
    spdlog::debug("rank {} ready on {} (pid {}, {}, {} threads)", source, message.host, message.pid,
                  worker.device, message.threads);
    RecordNodes();
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
  } else if (message.type == MessageType::kHeartbeat) {
    if (message.progress) NoteProgress(source, worker, message);
  } else {
    spdlog::warn("ignored an unexpected {} message from rank {}", MessageTypeName(message.type),
                 source);
  }
}

void Coordinator::HandleResult(int source, Worker& worker, const Message& message) {
  // Only the job's current attempt is written; the store would refuse any other (its fence), and
  // this coordinator, the batch's only writer, knows which one that is.
  const bool current =
      worker.job && worker.job->record.id == message.job_id && worker.attempt == message.attempt;
  const JobOutput& output = message.output;
  const std::string name =
      current ? Describe(*worker.job) : "job #" + std::to_string(message.job_id);
  progress_->ClearForLog();
  if (!current) {
    ++report_.stale_dropped;
    spdlog::warn(
        "dropped a late result of job #{} attempt {} from rank {}: that attempt is no "
        "longer current",
        message.job_id, message.attempt, source);
    progressed_ = true;
    progress_->Print([this] { return EtaSeconds(); });
    return;
  }
  const ScheduledJob& job = *worker.job;
  if (output.outcome != JobOutcome::kWorkerFault) worker.faults_in_a_row = 0;
  const std::string first_line = output.error.substr(0, output.error.find('\n'));  // for the log
  if (output.outcome == JobOutcome::kDone) {
    std::vector<Metric> metrics;
    metrics.reserve(output.metrics.size() + 1);
    for (const auto& [metric, value] : output.metrics) metrics.push_back({metric, value});
    metrics.push_back({"node_jobs", static_cast<double>(node_jobs_[message.job_id])});
    std::vector<CurvePoint> curves;
    curves.reserve(output.curves.size());
    for (const auto& c : output.curves) curves.push_back({c.step, c.name, c.value});
    std::vector<Prediction> predictions;
    predictions.reserve(output.predictions.size());
    for (const auto& p : output.predictions) predictions.push_back({p.example, p.label, p.score});
    writes_.CommitResult(message.job_id, message.attempt, std::move(metrics), std::move(curves),
                         std::move(predictions));
    ++report_.done;
    progress_->JobFinished(true);
    // This sweep's own times sharpen the estimates of the jobs still to come.
    cost_model_.Observe({job.record.job_key, job.plan.cost_group,
                         EstimateOfWhatRan(job.plan, worker.progress),
                         SecondsBetween(worker.started, Clock::now())});
    spdlog::info("[{}] done {} on rank {} in {:.2f} s", progress_->Count(), name, source,
                 message.seconds);
  } else if (output.outcome == JobOutcome::kWorkerFault) {
    // The worker's machinery failed, not the job: it runs again, never counted, on another rank
    // where there is one. A worker that fails so kWorkerFaultsToLeave times in a row gets no more
    // jobs (it would swallow them all), and leaves with the others at the end.
    writes_.RecordFailure(message.job_id, message.attempt, JobOutcomeName(output.outcome),
                          output.error, /*retry=*/true);
    scheduler_.FailedOn(message.job_id, source);
    scheduler_.Add(job);
    progress_->ClearForLog();
    if (++worker.faults_in_a_row >= kWorkerFaultsToLeave) {
      worker.dead = true;
      spdlog::error(
          "rank {} gets no more jobs: it could not run one {} times in a row (last, {}: "
          "{}); its jobs go to the other ranks",
          source, worker.faults_in_a_row, name, first_line);
    } else {
      spdlog::warn("rank {} could not run {}: {}; it runs again, not counted against it", source,
                   name, first_line);
    }
  } else if (output.outcome == JobOutcome::kInterrupted) {
    // Not the job's fault: it goes back to pending and runs again on resume.
    writes_.RecordFailure(message.job_id, message.attempt, JobOutcomeName(output.outcome),
                          output.error, /*retry=*/true);
    scheduler_.Add(job);
    // A worker reports an interruption only when it was signalled itself: it is shutting down.
    worker.dead = true;
  } else {
    const std::string outcome = JobOutcomeName(output.outcome);
    const bool retry =
        scheduler_.Retriable(outcome) &&
        scheduler_.ShouldRetry(job.plan, outcome, CountedAttempts(message.job_id) + 1);
    writes_.RecordFailure(message.job_id, message.attempt, outcome, output.error, retry);
    if (retry) {
      scheduler_.FailedOn(message.job_id, source);
      scheduler_.Add(job);
      spdlog::warn("{} {} on rank {}: {}; it will run again", outcome, name, source, first_line);
    } else {
      ++report_.failed;
      progress_->JobFinished(false);
      spdlog::error("[{}] {} {} on rank {}: {}", progress_->Count(), outcome, name, source,
                    first_line);
    }
  }
  KeepLog(worker, source, message);
  EndAttempt(worker);
  progressed_ = true;
  progress_->Print([this] { return EtaSeconds(); });
}

void Coordinator::AssignWork() {
  if (draining_) return;
  for (auto& [rank, worker] : workers_) {
    if (scheduler_.empty()) return;
    if (worker.dead || worker.job) continue;
    while (auto next = scheduler_.Next(rank, worker.unit)) {
      const int recorded_rank = options_.worker_in_process ? transport_.rank() : rank;
      const int threads = ThreadsFor(next->plan, worker);
      const int attempt = ++attempts_[next->record.id];
      Message assign = AssignmentFor(*next, attempt, threads);
      assign.device = worker.device;
      writes_.StartAttempt(next->record.id, attempt,
                           {recorded_rank, worker.host, worker.device, threads, assign.isolation});
      worker.job = std::move(*next);
      worker.attempt = attempt;
      worker.started = worker.last_heard = Clock::now();
      scheduler_.Started(worker.unit, worker.job->plan);
      node_jobs_.erase(worker.job->record.id);
      NoteNodeSharing(worker.unit);
      SendMessage(transport_, rank, assign);
      ++report_.started;
      if (std::find(report_.ranks_used.begin(), report_.ranks_used.end(), rank) ==
          report_.ranks_used.end()) {
        report_.ranks_used.push_back(rank);
      }
      spdlog::debug("start {} on rank {} (attempt {}, {}, {} threads)", Describe(*worker.job), rank,
                    attempt, worker.device, threads);
      progressed_ = true;
      break;
    }
  }
}

void Coordinator::CheckSilentWorkers(Clock::time_point now) {
  for (auto& [rank, worker] : workers_) {
    if (worker.dead || !worker.job) continue;
    if (SecondsBetween(worker.last_heard, now) < options_.worker_timeout_s) continue;
    const ScheduledJob job = *worker.job;
    const bool retry = scheduler_.ShouldRetry(job.plan, "lost", CountedAttempts(job.record.id) + 1);
    progress_->ClearForLog();
    spdlog::error(
        "rank {} has not been heard from for {:.0f} s while running {}: its attempt is "
        "lost{}",
        rank, options_.worker_timeout_s, Describe(job),
        retry ? "; the job goes to another worker" : " and the job has no attempts left");
    writes_.RecordFailure(job.record.id, worker.attempt, "lost",
                          "rank " + std::to_string(rank) + " went silent", retry);
    ++report_.lost;
    EndAttempt(worker);
    worker.dead = true;
    if (retry) {
      scheduler_.FailedOn(job.record.id, rank);
      scheduler_.Add(job);
    } else {
      ++report_.failed;
      progress_->JobFinished(false);
    }
    progressed_ = true;
  }
}

void Coordinator::Interrupt() {
  // Mark what is in flight first: the process may be killed soon after (mpirun sends SIGKILL).
  std::vector<RunningAttempt> in_flight;
  for (auto& [rank, worker] : workers_) {
    if (!worker.job) continue;
    const int64_t job_id = worker.job->record.id;
    in_flight.push_back({rank, job_id, worker.attempt, scheduler_.MaxAttempts(worker.job->plan)});
    writes_.RecordFailure(job_id, worker.attempt, JobOutcomeName(JobOutcome::kInterrupted),
                          "the sweep was interrupted", /*retry=*/true);
    Message cancel;
    cancel.type = MessageType::kCancel;
    cancel.job_id = job_id;
    cancel.attempt = worker.attempt;
    SendMessage(transport_, rank, cancel);
    EndAttempt(worker);
  }
  writes_.Flush();
  std::vector<RunningAttempt> unlogged;
  if (!options_.log_root.empty()) unlogged = in_flight;
  BlameDeadRanks(std::move(in_flight), &unlogged);
  KeepLogsOfCancelled(&unlogged);
}

void Coordinator::ReadAnswersAfterInterrupt(std::vector<RunningAttempt>* unheard,
                                            std::vector<RunningAttempt>* unlogged) {
  while (auto received = PollMessage(transport_)) {
    const int source = received->source;
    const Message& message = received->message;
    // Any word from a rank shows it alive.
    unheard->erase(std::remove_if(unheard->begin(), unheard->end(),
                                  [&](const RunningAttempt& job) { return job.rank == source; }),
                   unheard->end());
    if (message.type != MessageType::kResult) continue;
    // A cancelled attempt's result carries its output: kept in its log like any attempt's.
    for (auto it = unlogged->begin(); it != unlogged->end(); ++it) {
      if (it->rank == source && it->job_id == message.job_id && it->attempt == message.attempt) {
        KeepLog(workers_[source], source, message);
        unlogged->erase(it);
        break;
      }
    }
  }
}

void Coordinator::KeepLogsOfCancelled(std::vector<RunningAttempt>* unlogged) {
  // A cancelled job answers once it has stopped (at once, for most), so `logs JOB` shows the
  // interrupted attempt too. A second at most: the attempts are marked already, and mpirun may
  // soon kill this process.
  std::vector<RunningAttempt> heard;
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  while (!unlogged->empty() && Clock::now() < deadline) {
    ReadAnswersAfterInterrupt(&heard, unlogged);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void Coordinator::BlameDeadRanks(std::vector<RunningAttempt> in_flight,
                                 std::vector<RunningAttempt>* unlogged) {
  // mpirun ends the whole MPI job when one rank dies, and signals the rest: a worker rank whose
  // job crashed it (a segfault in an inproc job) looks, from here, like any interrupt. Its attempt
  // is then a suspect, counted, so a job that keeps taking its rank down ends failed instead of
  // looping through resumes. A worker on this host is dead when its process is; one elsewhere when
  // it says nothing within the grace (a live one was signalled too, and answers at once).
  if (options_.worker_in_process) return;  // the worker is this process: it is alive
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(options_.rank_death_grace_s));
  auto blame = [&](const RunningAttempt& job, const std::string& why) {
    if (store_.MarkRankDied(job.job_id, job.attempt, job.max_attempts, why)) {
      ++report_.rank_died;
      spdlog::error("job #{}: {}", job.job_id, why);
    }
  };
  while (!in_flight.empty()) {
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      const Worker& worker = workers_[it->rank];
      if (ProcessIsGone(worker.host, worker.pid)) {
        blame(*it, "its worker rank " + std::to_string(it->rank) + " (pid " +
                       std::to_string(worker.pid) + ") died while running it");
        it = in_flight.erase(it);
      } else if (worker.host == HostName()) {
        it = in_flight.erase(it);  // alive, here: not to blame
      } else {
        ++it;
      }
    }
    if (in_flight.empty() || Clock::now() >= deadline) break;
    ReadAnswersAfterInterrupt(&in_flight, unlogged);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& job : in_flight) {
    blame(job, fmt::format("its worker rank {} on {} did not answer within {:.1f} s of the "
                           "interrupt: it most likely died while running it",
                           job.rank, workers_[job.rank].host, options_.rank_death_grace_s));
  }
}

void Coordinator::Finish(SweepEnd end) {
  finished_ = true;
  report_.end = end;
  progress_->Finish();
  try {
    writes_.Flush();
  } catch (const WriteQueueConflict& e) {
    if (end != SweepEnd::kLeaseLost) throw;
    // The new holder of the lease took over these jobs: what was queued is not ours to write.
    spdlog::warn("{}", e.what());
  }
  report_.store_groups = writes_.groups();
  report_.store_writes = writes_.writes();
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
    case SweepEnd::kNoWorkers:
      report_.exit_code = kExitLaunchFailed;
      store_.FinishBatch(batch_id_, "interrupted");
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
  if (writes_.Due(Clock::now())) writes_.Flush();
  if (InFlight() == 0 && !scheduler_.empty() && NoWorkerLeft()) {
    spdlog::error("no worker rank can run a job; {} jobs wait for resume", scheduler_.size());
    Finish(SweepEnd::kNoWorkers);
    return false;
  }
  if (InFlight() == 0 && (scheduler_.empty() || draining_)) {
    Finish(scheduler_.empty() ? SweepEnd::kFinished : SweepEnd::kDrained);
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

Coordinator::Clock::time_point Coordinator::NextWake() const {
  // Signals, stop requests, the lease and silent workers are checked at least this often.
  constexpr auto kTimerPeriod = std::chrono::milliseconds(100);
  auto wake = Clock::now() + kTimerPeriod;
  if (auto deadline = writes_.Deadline()) wake = std::min(wake, *deadline);
  return wake;
}

void Coordinator::AbandonAfterStoreError(const std::string& error) {
  // Without this, a job that ran inside this process (one rank, inproc) would be blamed by resume
  // for a death that never happened; a job whose result was lost with the failed write too.
  try {
    const int64_t abandoned = store_.AbandonRunning(
        batch_id_, options_.lease_owner,
        "the sweep stopped on a store error (" + error +
            ") while the job ran: not the job's doing, so it does not count; it runs again");
    if (abandoned > 0) spdlog::info("{} jobs in flight recorded as abandoned", abandoned);
  } catch (const StoreError& again) {
    spdlog::warn("the jobs in flight stay `running` in the store ({}): resume requeues them",
                 again.what());
  }
}

const SweepReport& Coordinator::Run() {
  const double cpu_start = ThreadCpuSeconds();
  const auto wall_start = Clock::now();
  Poller poller;
  try {
    while (RunOnce()) {
      if (progressed_) {
        poller.Active();
        continue;
      }
      poller.WaitUntil([this] { return transport_.HasMessage(); }, NextWake());
    }
  } catch (const StoreError& e) {
    AbandonAfterStoreError(e.what());
    throw;
  }
  report_.coordinator_cpu_s = ThreadCpuSeconds() - cpu_start;
  report_.wall_s = SecondsBetween(wall_start, Clock::now());
  return report_;
}

}  // namespace attnsweep
