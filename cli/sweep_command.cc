#include "cli/sweep_command.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/units.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/job_runner.h"

namespace attnsweep {

void AddSweepOptions(CLI::App* command, SweepSettings* settings) {
  command
      ->add_option("--isolation", settings->isolation,
                   "how jobs run: process (a fresh process each), host (one process per worker, "
                   "replaced after a failure), inproc (a thread of the worker), auto (inproc for "
                   "sleep jobs without a time or memory limit, process otherwise); an "
                   "experiment's limits.isolation wins")
      ->check(CLI::IsMember({"auto", "process", "host", "inproc"}))
      ->capture_default_str();
  // Parsed here, so that a typo is refused before the grid is read or its data prepared.
  command->add_option_function<std::string>(
      "--job-timeout",
      [settings](const std::string& text) {
        if (const std::string problem = JobTimeoutProblem(text); !problem.empty()) {
          throw CLI::ValidationError("--job-timeout", problem);
        }
        settings->job_timeout_s = *ParseDurationSeconds(text);
      },
      "kill a job running longer than this (90s, 30m, 2h; process and host isolation); an "
      "experiment's limits.timeout wins");
  command->add_option_function<std::string>(
      "--job-memory",
      [settings](const std::string& text) {
        if (const std::string problem = JobMemoryCapProblem(text); !problem.empty()) {
          throw CLI::ValidationError("--job-memory", problem);
        }
        settings->job_memory_bytes = *ParseSizeBytes(text);
      },
      "cap the memory each job process uses (512M, 16G; at least 128M): its resident memory, "
      "held by a memory cgroup of its own where one can be made, else watched by its worker; "
      "past it the job is killed and ends as oom; an experiment's limits.memory wins");
  command
      ->add_option("--device", settings->device,
                   "where jobs run: cuda (each worker rank on one GPU of its node: its index "
                   "among the node's workers modulo the GPUs CUDA_VISIBLE_DEVICES leaves), cpu, "
                   "or auto (cuda when this build has CUDA and the node a GPU, else cpu)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  command->parse_complete_callback([settings] {
    if (settings->isolation == "inproc" && settings->job_timeout_s > 0) {
      throw CLI::ValidationError("--job-timeout",
                                 "inproc jobs cannot be timed out: they run in the worker's own "
                                 "thread, which no kill can end alone; use --isolation process "
                                 "or host with a timeout");
    }
    if (settings->device == "cuda" && !BuiltWithCuda()) {
      throw CLI::ValidationError(
          "--device cuda", "this build of attnsweep has no CUDA (LibTorch " + LibTorchVersion() +
                               ", CPU only); build it against a CUDA LibTorch (docs/gpu.md) "
                               "or use --device cpu");
    }
  });
  command
      ->add_option("--threads-per-rank", settings->threads_per_rank,
                   "intra-op threads per job (default: the node's cores over its worker ranks)")
      ->check(CLI::Range(1, 4096));
  command
      ->add_option("--max-attempts", settings->max_attempts,
                   "tries of a job whose attempts are lost, crash or time out")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command
      ->add_option("--worker-timeout", settings->worker_timeout_s,
                   "seconds without a heartbeat before a busy worker's attempt counts as lost")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  command->footer(
      "Exit codes: 0 all jobs done, 1 some jobs failed, 2 bad input (nothing stored), 3 store "
      "error or batch held by another coordinator, 4 MPI could not start or no worker could run "
      "a job (--device cuda without a GPU), 70 internal error (a "
      "bug), 130 interrupted or drained (resume finishes the batch). Under mpirun rank 0 "
      "coordinates and every other rank runs jobs; pass --bind-to none (scripts/mpirun.sh "
      "does).");
}

int FinishSweepCommand(BatchService& service, const BatchToRun& to_run) {
  if (!to_run.problem.empty()) PrintError(to_run.problem);
  return service.Run(to_run);
}

}  // namespace attnsweep
