#include "workers/job_process_main.h"

#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/job_runner.h"
#include "workers/interrupts.h"
#include "workers/message.h"
#include "workers/pipe_frames.h"

namespace attnsweep {

namespace {

// How often a job waiting for a decision looks at its signals.
constexpr int kDecisionPollMs = 100;

// Blocks until the worker passes on the coordinator's decision about `job_id`/`attempt` after
// `epoch` (a frame on stdin). Throws JobInterrupted when the job is signalled meanwhile, or when
// the worker has gone (its end of the pipe closed).
bool AwaitDecision(int64_t job_id, int attempt, int64_t epoch) {
  for (;;) {
    if (InterruptRequested()) throw JobInterrupted();
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (poll(&in, 1, kDecisionPollMs) <= 0) continue;  // EINTR: a signal, looked at above
    std::string frame, error;
    if (!ReadFrame(STDIN_FILENO, &frame)) throw JobInterrupted();
    const auto decision = DecodeMessage(frame, &error);
    if (decision && decision->type == MessageType::kDecision && decision->job_id == job_id &&
        decision->attempt == attempt && decision->epoch == epoch) {
      return decision->go_on;
    }
  }
}

int ServeJobs(int threads) {
  // Under memory pressure the kernel should pick a job, not a worker rank (which would end the
  // sweep).
  std::ofstream("/proc/self/oom_score_adj") << 1000;
  InstallInterruptHandlers();  // SIGTERM from the worker: stop the job, report it interrupted

  std::string frame;
  while (ReadFrame(STDIN_FILENO, &frame)) {
    std::string error;
    auto assign = DecodeMessage(frame, &error);
    // A decision that came after its job had ended (cancelled while it waited): nothing to do.
    if (assign && assign->type == MessageType::kDecision) continue;
    Message result;
    result.type = MessageType::kResult;
    const auto start = std::chrono::steady_clock::now();
    if (!assign || assign->type != MessageType::kAssign) {
      std::fprintf(stderr, "attnsweep __job: bad request: %s\n", error.c_str());
      return 2;
    }
    result.job_id = assign->job_id;
    result.attempt = assign->attempt;
    std::fprintf(stderr, "[job #%lld attempt %d, pid %d] %s\n",
                 static_cast<long long>(assign->job_id), assign->attempt,
                 static_cast<int>(getpid()), assign->config.c_str());
    std::fflush(stderr);
    const nlohmann::json config = nlohmann::json::parse(assign->config, nullptr, false);
    JobContext context;
    // The job's own share of the node (all of it for a job that has its node to itself).
    context.threads = assign->threads > 0 ? assign->threads : threads;
    context.device = assign->device.empty() ? "cpu" : assign->device;
    context.stop_requested = [] { return InterruptRequested(); };
    context.checkpoint_path = assign->checkpoint;
    // On the pipe the result takes, from this same thread, so frames never interleave. A failed
    // write is left to the result's, which ends this process.
    const auto report = [&assign](const JobProgress& progress) {
      Message frame;
      frame.type = MessageType::kProgress;
      frame.job_id = assign->job_id;
      frame.attempt = assign->attempt;
      frame.progress = progress;
      WriteFrame(kJobResultFd, EncodeMessage(frame));
    };
    context.report_progress = report;
    // At a decision epoch the report is what the coordinator decides on (a resumed attempt's first
    // question follows no report of its own); then the job waits for the answer.
    context.continue_training = [&assign, report](const JobProgress& progress) {
      const auto& epochs = assign->decision_epochs;
      if (std::find(epochs.begin(), epochs.end(), progress.epoch) == epochs.end()) return true;
      report(progress);
      return AwaitDecision(assign->job_id, assign->attempt, progress.epoch);
    };
    if (config.is_discarded()) {
      result.output.outcome = JobOutcome::kInvalid;
      result.output.error = "the job's config is not valid JSON";
    } else {
      result.output = RunJob(config, context);
    }
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[job #%lld attempt %d] %s after %.3f s%s%s\n",
                 static_cast<long long>(result.job_id), result.attempt,
                 JobOutcomeName(result.output.outcome), result.seconds,
                 result.output.error.empty() ? "" : ": ", result.output.error.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    if (!WriteFrame(kJobResultFd, EncodeMessage(result))) return 1;
    if (InterruptRequested()) return 130;
  }
  return 0;
}

}  // namespace

bool IsMpiVariable(const char* entry) {
  for (const char* prefix : {"OMPI_", "PMIX_", "OPAL_", "ORTE_", "PRTE_", "PMI_"}) {
    if (std::strncmp(entry, prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

int RunJobProcessMain(int threads) {
  // Die with the worker; and if it is already gone, do not run orphaned.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const char* parent = std::getenv(kJobParentEnv);
  if (parent == nullptr || std::atoi(parent) != static_cast<int>(getppid())) {
    std::fprintf(stderr, "attnsweep __job: run by attnsweep workers only\n");
    return 2;
  }
  return ServeJobs(threads);
}

int ServeJobsFromLauncher(int threads) { return ServeJobs(threads); }

}  // namespace attnsweep
