#include "cli/cmd_run.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/dry_run.h"
#include "cli/sweep_command.h"
#include "experiments/base/exit_codes.h"
#include "experiments/base/units.h"
#include "experiments/grid.h"
#include "workers/batch_service.h"
#include "workers/interrupts.h"

namespace attnsweep {

CLI::App* SetupRunCommand(CLI::App& app, RunOptions* options) {
  CLI::App* run = app.add_subcommand(
      "run",
      "Validate a grid, store its jobs as a new batch, run them. To stop a sweep started from "
      "a script or in the background, send SIGTERM (kill PID) or run `attnsweep stop`: a "
      "shell that is not interactive starts background commands with SIGINT ignored, and "
      "under mpirun `kill -INT` then does nothing");
  run->add_option("grid", options->grid_path, "the experiment grid (YAML)")->required();
  run->add_option("overrides", options->overrides,
                  "KEY=V1,V2,... after the grid, as Hydra's multirun: each sets KEY's values as "
                  "an axis in every experiment whose task reads KEY (replacing its axis or "
                  "adding one), e.g. train.lr=0.01,0.03 model.attention=softmax,performer; "
                  "stored with the batch");
  run->add_option("--db", options->db,
                  "the result store (SQLite file); default: the grid's `store:`, else $" +
                      std::string(kStoreEnvironment) + ", else attnsweep.db");
  run->add_flag("--dry-run", options->dry_run,
                "validate and list the jobs with each one's estimated seconds (learned from the "
                "store's done jobs where it has some) and the total on the ranks the run would "
                "have; with --reuse, which jobs would take a done result; run and store nothing");
  run->add_flag("--reuse", options->reuse,
                "a job whose key already has a done result anywhere in the store is not run "
                "again: the new batch lists it done, with that result, marked reused");
  AddFormatOption(run, &options->format);
  AddSweepOptions(run, &options->sweep);
  return run;
}

namespace {

// The largest grid file read: a grid written by hand or a script is kilobytes; past this it is a
// mistake (a data file given as the grid), and YAML's parser would hold many times its size.
constexpr int64_t kLargestGridBytes = 4 << 20;

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

// Prints the grid's warnings and problems (file:line:column), the first ones of a long list.
void PrintGridIssues(const std::string& grid_path, const GridParseResult& parsed,
                     const std::vector<std::string>& overrides) {
  for (const auto& warning : parsed.grid.warnings) {
    std::fprintf(stderr, "%s\n",
                 FormatGridIssue(grid_path, {warning.mark, "warning: " + warning.message}).c_str());
  }
  if (parsed.ok()) return;
  // The first problems, in file order, and how many more: a generated grid gone wrong can hold
  // millions, and printing them all (200 MB) helps nobody.
  constexpr size_t kProblemsShown = 50;
  for (size_t i = 0; i < std::min(parsed.errors.size(), kProblemsShown); ++i) {
    const auto& error = parsed.errors[i];
    std::fprintf(stderr, "%s\n",
                 FormatGridIssue(grid_path, {error.mark, "error: " + error.message}).c_str());
  }
  if (parsed.errors.size() > kProblemsShown) {
    std::fprintf(stderr, "... and %zu more like them, not shown\n",
                 parsed.errors.size() - kProblemsShown);
  }
  // A problem the overrides made shows where the value they replaced was, or no line at all.
  std::string with;
  for (const auto& text : overrides) with += (with.empty() ? " with the overrides " : " ") + text;
  std::fprintf(stderr, "%zu problem%s in %s%s; nothing was run or stored\n", parsed.errors.size(),
               parsed.errors.size() == 1 ? "" : "s", grid_path.c_str(), with.c_str());
}

// Rank 0: reads and checks the grid, then has the service store it as a new batch.
BatchToRun StartFromGrid(const RunOptions& options, BatchService& service) {
  std::string text;
  std::error_code no_type;
  if (std::filesystem::is_directory(options.grid_path, no_type)) {
    return BatchToRun::Ended(kExitBadInput, "'" + options.grid_path +
                                                "' is a directory, not a grid file: give the "
                                                "grid's YAML file");
  }
  // Looked at before it is opened: a FIFO would block the open, /dev/zero would never end.
  const auto status = std::filesystem::status(options.grid_path, no_type);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    return BatchToRun::Ended(kExitBadInput, "'" + options.grid_path +
                                                "' is not a regular file (a FIFO, a device or a "
                                                "socket): give the grid's YAML file");
  }
  if (const auto size = std::filesystem::file_size(options.grid_path, no_type);
      !no_type && size > kLargestGridBytes) {
    return BatchToRun::Ended(kExitBadInput, "grid file '" + options.grid_path + "' holds " +
                                                FormatSize(static_cast<int64_t>(size)) +
                                                ", more than a grid may (" +
                                                FormatSize(kLargestGridBytes) +
                                                "): write ranges (`range:`, `geom:`) instead "
                                                "of long lists");
  }
  if (!ReadFile(options.grid_path, &text)) {
    return BatchToRun::Ended(kExitBadInput, "cannot read grid file '" + options.grid_path +
                                                "': " + std::strerror(errno));
  }
  std::vector<GridOverride> overrides;
  for (const auto& text : options.overrides) {
    std::string problem;
    overrides.push_back(ParseGridOverride(text, &problem));
    if (!problem.empty()) {
      return BatchToRun::Ended(kExitBadInput, problem + "; nothing was run or stored");
    }
  }
  const GridParseResult parsed =
      ParseGrid(text, std::filesystem::path(options.grid_path).stem().string(), overrides);
  PrintGridIssues(options.grid_path, parsed, options.overrides);
  if (!parsed.ok()) return BatchToRun::Ended(kExitBadInput);
  const Grid& grid = parsed.grid;
  const char* session_store = std::getenv(kStoreEnvironment);
  const std::string db_path = !options.db.empty()                          ? options.db
                              : !grid.store_path.empty()                   ? grid.store_path
                              : session_store != nullptr && *session_store ? session_store
                                                                           : kDefaultStorePath;
  if (options.dry_run) {
    PrintDryRun(grid, db_path, options.reuse, service.worker_ranks(), options.format);
    return BatchToRun::Ended(kExitOk);
  }
  NewBatchRequest request;
  request.grid = &grid;
  request.grid_text = std::move(text);
  request.grid_path = options.grid_path;
  request.db_path = db_path;
  request.reuse = options.reuse;
  request.overrides = options.overrides;
  return service.Start(request);
}

}  // namespace

int RunRunCommand(const RunOptions& options, MpiRuntime& mpi, JobLauncher* launcher) {
  BatchService service(mpi, launcher, options.sweep);
  if (!service.is_coordinator()) {
    InstallInterruptHandlers();
    return service.ServeAsWorker();
  }
  // The coordinator's signals become flags when it first writes (BatchService::Start).
  return FinishSweepCommand(service, StartFromGrid(options, service));
}

}  // namespace attnsweep
