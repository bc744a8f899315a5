#include "workers/job_process_main.h"

#include <sys/prctl.h>
#include <unistd.h>

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

int ServeJobs(int threads) {
  // Under memory pressure the kernel should pick a job, not a worker rank (which would end the
  // sweep).
  std::ofstream("/proc/self/oom_score_adj") << 1000;
  InstallInterruptHandlers();  // SIGTERM from the worker: stop the job, report it interrupted

  std::string frame;
  while (ReadFrame(STDIN_FILENO, &frame)) {
    std::string error;
    auto assign = DecodeMessage(frame, &error);
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
    context.report_progress = [&assign](const JobProgress& progress) {
      Message frame;
      frame.type = MessageType::kProgress;
      frame.job_id = assign->job_id;
      frame.attempt = assign->attempt;
      frame.progress = progress;
      WriteFrame(kJobResultFd, EncodeMessage(frame));
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
