#include "cli/cmd_run.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/job_table.h"
#include "cli/sweep_command.h"
#include "experiments/blas_core.h"
#include "experiments/grid.h"
#include "experiments/job_key.h"
#include "experiments/job_runner.h"
#include "store/result_store.h"
#include "store/sqlite_handle.h"
#include "workers/build_info.h"
#include "workers/exit_codes.h"
#include "workers/interrupts.h"
#include "workers/placement.h"

namespace attnsweep {

CLI::App* SetupRunCommand(CLI::App& app, RunOptions* options) {
  CLI::App* run =
      app.add_subcommand("run", "Validate a grid, store its jobs as a new batch, run them");
  run->add_option("grid", options->grid_path, "the experiment grid (YAML)")->required();
  run->add_option(
      "--db", options->db,
      "the result store (SQLite file); default: the grid's `store:`, else attnsweep.db");
  run->add_flag("--dry-run", options->dry_run, "validate and list the jobs; run and store nothing");
  run->add_flag("--reuse", options->reuse,
                "a job whose key already has a done result anywhere in the store is not run "
                "again: the new batch lists it done, with that result, marked reused");
  AddFormatOption(run, &options->format);
  AddSweepOptions(run, &options->sweep, &options->job_timeout, &options->job_memory);
  return run;
}

namespace {

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

std::string VersionsJson(const MpiRuntime& mpi) {
  nlohmann::json versions = {{"attnsweep", AttnsweepVersion()},
                             {"libtorch", LibTorchVersion()},
                             {"sqlite", SqliteLibraryVersion()},
                             {"mpi", mpi.LibraryVersion()}};
  if (const std::string blas = BlasCoreDescription(); !blas.empty()) versions["openblas"] = blas;
  return versions.dump();
}

}  // namespace

int RunRunCommand(const RunOptions& options, MpiRuntime& mpi, JobLauncher* launcher) {
  SweepRanks ranks(mpi, launcher);
  InstallInterruptHandlers();
  if (!ranks.is_coordinator()) return ranks.ServeAsWorker(options.sweep);

  std::string text;
  std::error_code no_type;
  if (std::filesystem::is_directory(options.grid_path, no_type)) {
    PrintError("'" + options.grid_path +
               "' is a directory, not a grid file: give the grid's YAML "
               "file");
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  if (!ReadFile(options.grid_path, &text)) {
    PrintError("cannot read grid file '" + options.grid_path + "': " + std::strerror(errno));
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  const std::string stem = std::filesystem::path(options.grid_path).stem().string();
  const GridParseResult parsed = ParseGrid(text, stem);
  for (const auto& warning : parsed.grid.warnings) {
    std::fprintf(
        stderr, "%s\n",
        FormatGridIssue(options.grid_path, {warning.mark, "warning: " + warning.message}).c_str());
  }
  if (!parsed.ok()) {
    // The first problems, in file order, and how many more: a generated grid gone wrong can hold
    // millions, and printing them all (200 MB) helps nobody.
    constexpr size_t kProblemsShown = 50;
    for (size_t i = 0; i < std::min(parsed.errors.size(), kProblemsShown); ++i) {
      const auto& error = parsed.errors[i];
      std::fprintf(
          stderr, "%s\n",
          FormatGridIssue(options.grid_path, {error.mark, "error: " + error.message}).c_str());
    }
    if (parsed.errors.size() > kProblemsShown) {
      std::fprintf(stderr, "... and %zu more like them, not shown\n",
                   parsed.errors.size() - kProblemsShown);
    }
    std::fprintf(stderr, "%zu problem%s in %s; nothing was run or stored\n", parsed.errors.size(),
                 parsed.errors.size() == 1 ? "" : "s", options.grid_path.c_str());
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  const Grid& grid = parsed.grid;
  if (options.dry_run) {
    PrintTable(VaryingKeysTable(grid.jobs), options.format);
    spdlog::info("grid '{}': {}; --dry-run: nothing run or stored", grid.name,
                 JobCountsByExperiment(grid.jobs));
    ranks.Dismiss(kExitOk);
    return kExitOk;
  }
  std::vector<JobPlan> plans;
  for (const auto& job : grid.jobs) plans.push_back(job.plan);
  if (!PrepareJobsData(plans)) {
    std::fprintf(stderr, "bad data in %s's jobs; nothing was run or stored\n",
                 options.grid_path.c_str());
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }

  const std::string db_path = !options.db.empty()        ? options.db
                              : !grid.store_path.empty() ? grid.store_path
                                                         : kDefaultStorePath;
  SweepSettings settings = options.sweep;
  if (!ApplySweepOptions(options.job_timeout, options.job_memory, db_path, &settings)) {
    ranks.Dismiss(kExitBadInput);
    return kExitBadInput;
  }
  ResultStore store = ResultStore::OpenForWriting(db_path);
  WarnIfOnNetworkFileSystem(db_path);
  std::vector<NewJob> jobs;
  for (const auto& job : grid.jobs) {
    jobs.push_back({job.experiment, job.job_key, CanonicalJson(job.config), job.plan.estimate_s,
                    job.limits.dump(), job.plan.ToJson().dump()});
  }
  int64_t reused = 0;
  const int64_t batch_id =
      store.CreateBatch({grid.name, text, std::filesystem::absolute(options.grid_path).string(),
                         HostName(), GitRevision(), VersionsJson(mpi), grid.description, grid.tags},
                        jobs, options.reuse, &reused);
  if (options.reuse) {
    spdlog::info("--reuse: {} of {} jobs reuse a done result already in {}; {} to run", reused,
                 jobs.size(), db_path, static_cast<int64_t>(jobs.size()) - reused);
  }
  store.AcquireLease(batch_id, LeaseOwner(), CoordinatorOptions().lease_ttl_s,
                     [](const std::string&) { return false; });
  return CoordinateAndReport(ranks, store, batch_id, settings, db_path);
}

}  // namespace attnsweep
