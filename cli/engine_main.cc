// The attnsweep binary that runs jobs: run and resume (MPI, the job launcher, LibTorch), and the
// body of a job process (__job). The attnsweep a user starts (cli/main.cc) hands these commands
// here by exec, keeping its process, arguments and name (build/libexec/attnsweep, installed as
// libexec/attnsweep/attnsweep). It knows the reading commands too, so that `attnsweep --help`
// lists every command. Errors are stopped here, once: a store failure is exit 3, a refused query or
// bad option exit 2, MPI that would not start exit 4, anything unexpected (a bug) exit 70.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/app_frame.h"
#include "cli/cmd_resume.h"
#include "cli/cmd_run.h"
#include "cli/common.h"
#include "cli/logging.h"
#include "cli/reading_commands.h"
#include "experiments/base/exit_codes.h"
#include "experiments/blas_core.h"
#include "experiments/builtin_runners.h"
#include "workers/job_launcher.h"
#include "workers/job_process_main.h"
#include "workers/mpi_runtime.h"

namespace {

int Main(int argc, char** argv) {
  using namespace attnsweep;
  // Before anything reads a grid or runs a job; job processes are forked from this process and
  // inherit the registry.
  RegisterBuiltinRunners();
  CLI::App app;
  GlobalFlags flags;
  SetupApp(app, &flags);
  RunOptions run_options;
  ResumeOptions resume_options;
  CLI::App* run = SetupRunCommand(app, &run_options);
  CLI::App* resume = SetupResumeCommand(app, &resume_options);
  ReadingCommands reading(app);
  // The body of a job process, started by workers only: hidden from --help.
  int job_threads = 1;
  CLI::App* job = app.add_subcommand("__job", "")->group("");
  job->add_option("--threads", job_threads);

  if (const auto code = ParseCommandLine(app, argc, argv)) return *code;
  if (*job) return RunJobProcessMain(job_threads);
  // MPI only for the commands that distribute work; main owns its lifetime. A rank that may run
  // jobs first forks its job launcher, while it is still single-threaded: MPI starts threads.
  std::unique_ptr<JobLauncher> launcher;
  std::string no_launcher;
  std::unique_ptr<MpiRuntime> mpi;
  if (*run || *resume) {
    // Only the commands that compute restart for it (a query needs no BLAS), and before the
    // launcher: its job processes inherit the setting.
    UseTheCpusBlasKernels(argv);
    if (MayRunJobs()) launcher = JobLauncher::Start(&no_launcher);
    try {
      mpi = std::make_unique<MpiRuntime>(&argc, &argv);
    } catch (const std::exception& e) {
      PrintError(e.what());
      return kExitLaunchFailed;
    }
    DieWithParentUnderMpirun();
  }
  SetupLogging(flags.verbosity(), mpi ? mpi->rank() : 0);
  if (!no_launcher.empty()) {
    spdlog::debug("no job launcher ({}): job processes start from the binary", no_launcher);
  }
  if (mpi && mpi->rank() == 0) {
    if (const std::string warning = BlasCoreWarning(); !warning.empty()) spdlog::warn(warning);
  }

  // After a stop signal under mpirun other ranks may be gone: MPI_Finalize would wait for them.
  auto sweep_exit = [&](int code) {
    if (code == kExitInterrupted && mpi->launched_by_mpirun()) mpi->Abandon();
    return code;
  };
  // run and resume name their store in their first log line.
  if (!*run && !*resume) NoteUnnamedStore();
  return ExitCodeOf([&] {
    if (*run) return sweep_exit(RunRunCommand(run_options, *mpi, launcher.get()));
    if (*resume) return sweep_exit(RunResumeCommand(resume_options, *mpi, launcher.get()));
    return reading.Run();
  });
}

}  // namespace

// scripts/mpirun.sh names a file in ATTNSWEEP_RANK_STARTED, which every rank creates as it starts:
// when mpirun then ends with status 1 and no file is there, no rank ran, and the status is mpirun's
// refusal of its arguments, not a sweep's "some jobs failed".
void MarkRankStarted() {
  const char* path = std::getenv("ATTNSWEEP_RANK_STARTED");
  if (path == nullptr || *path == '\0') return;
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

int main(int argc, char** argv) {
  MarkRankStarted();
  return attnsweep::RunMain([&] { return Main(argc, argv); });
}
