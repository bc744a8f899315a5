// attnsweep: sweeps of efficient-attention transformers, results in one SQLite file.
// Errors are stopped here, once: a store failure is exit 3, a refused query or bad option exit 2,
// MPI that would not start exit 4, anything unexpected (a bug) exit 70.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/cmd_check.h"
#include "cli/cmd_curves.h"
#include "cli/cmd_data.h"
#include "cli/cmd_export.h"
#include "cli/cmd_jobs.h"
#include "cli/cmd_keys.h"
#include "cli/cmd_logs.h"
#include "cli/cmd_query.h"
#include "cli/cmd_report.h"
#include "cli/cmd_results.h"
#include "cli/cmd_resume.h"
#include "cli/cmd_rm.h"
#include "cli/cmd_run.h"
#include "cli/cmd_status.h"
#include "cli/cmd_stop.h"
#include "cli/cmd_tag.h"
#include "cli/common.h"
#include "cli/logging.h"
#include "experiments/base/build_info.h"
#include "experiments/base/exit_codes.h"
#include "experiments/blas_core.h"
#include "experiments/builtins.h"
#include "store/readonly_query.h"
#include "store/sqlite_handle.h"
#include "workers/interrupts.h"
#include "workers/job_launcher.h"
#include "workers/job_process_main.h"
#include "workers/mpi_runtime.h"

namespace {

int Main(int argc, char** argv) {
  using namespace attnsweep;
  // Before anything reads a grid or runs a job; job processes are forked from this process and
  // inherit the registry.
  RegisterBuiltins();
  CLI::App app{
      "attnsweep: run grids of attention-variant experiments (train, benchmark and approximation "
      "jobs) and query their results in one SQLite store."};
  app.set_version_flag("--version", std::string(AttnsweepVersion()) + " (" + GitRevision() + ")");
  app.require_subcommand(1);
  app.fallthrough();
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "more log output (debug)");
  app.add_flag("-q,--quiet", quiet, "only warnings and errors");

  RunOptions run_options;
  ResumeOptions resume_options;
  StopOptions stop_options;
  CheckOptions check_options;
  StatusOptions status_options;
  ResultsOptions results_options;
  QueryOptions query_options;
  KeysOptions keys_options;
  LogsOptions logs_options;
  DataOptions data_options;
  ReportOptions report_options;
  TagOptions tag_options;
  RmOptions rm_options;
  CurvesOptions curves_options;
  JobsOptions jobs_options;
  ExportOptions export_options;
  CLI::App* run = SetupRunCommand(app, &run_options);
  CLI::App* resume = SetupResumeCommand(app, &resume_options);
  CLI::App* stop = SetupStopCommand(app, &stop_options);
  CLI::App* check = SetupCheckCommand(app, &check_options);
  CLI::App* status = SetupStatusCommand(app, &status_options);
  CLI::App* results = SetupResultsCommand(app, &results_options);
  CLI::App* query = SetupQueryCommand(app, &query_options);
  CLI::App* keys = SetupKeysCommand(app, &keys_options);
  CLI::App* logs = SetupLogsCommand(app, &logs_options);
  CLI::App* export_command = SetupExportCommand(app, &export_options);
  CLI::App* jobs = SetupJobsCommand(app, &jobs_options);
  CLI::App* curves = SetupCurvesCommand(app, &curves_options);
  CLI::App* rm = SetupRmCommand(app, &rm_options);
  CLI::App* tag = SetupTagCommand(app, &tag_options);
  CLI::App* report = SetupReportCommand(app, &report_options);
  const DataCommands data = SetupDataCommand(app, &data_options);
  // The body of a job process, started by workers only: hidden from --help.
  int job_threads = 1;
  CLI::App* job = app.add_subcommand("__job", "")->group("");
  job->add_option("--threads", job_threads);

  // A command that is none of ours: CLI11 would only say that one is required.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* command : app.get_subcommands({})) known |= command->get_name() == argv[1];
    if (!known) {
      PrintError(std::string("'") + argv[1] +
                 "' is not an attnsweep command: `attnsweep --help` lists them");
      return kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version, or the parse error
    return code == 0 ? kExitOk : kExitBadInput;
  }
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
  SetupLogging(quiet ? -1 : verbose > 0 ? 1 : 0, mpi ? mpi->rank() : 0);
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
  try {
    if (*run) return sweep_exit(RunRunCommand(run_options, *mpi, launcher.get()));
    if (*resume) return sweep_exit(RunResumeCommand(resume_options, *mpi, launcher.get()));
    if (*stop) return RunStopCommand(stop_options);
    if (*check) return RunCheckCommand(check_options);
    if (*status) return RunStatusCommand(status_options);
    if (*results) return RunResultsCommand(results_options);
    if (*query) return RunQueryCommand(query_options);
    if (*keys) return RunKeysCommand(keys_options);
    if (*logs) return RunLogsCommand(logs_options);
    if (*report) return RunReportCommand(report_options);
    if (*tag) return RunTagCommand(tag_options);
    if (*rm) return RunRmCommand(rm_options);
    if (*curves) return RunCurvesCommand(curves_options);
    if (*jobs) return RunJobsCommand(jobs_options);
    if (*export_command) return RunExportCommand(export_options);
    if (data.generate->parsed() || data.prepare->parsed() || data.stats->parsed()) {
      return RunDataCommand(data, data_options);
    }
  } catch (const QueryRefused& e) {
    PrintError(e.what());
    return kExitBadInput;
  } catch (const StoreError& e) {
    PrintError(e.what());
    return kExitStoreError;
  }
  return kExitBadInput;
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
  attnsweep::ExitAtOnceOnInterrupt();
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: unexpected failure: %s\n", e.what());
    return attnsweep::kExitInternalError;
  }
}
