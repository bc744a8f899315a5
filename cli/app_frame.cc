#include "cli/app_frame.h"

#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/build_info.h"
#include "experiments/base/exit_codes.h"
#include "store/readonly_query.h"
#include "store/sqlite_handle.h"
#include "workers/interrupts.h"

namespace attnsweep {

void SetupApp(CLI::App& app, GlobalFlags* flags) {
  app.description(
      "attnsweep: run grids of attention-variant experiments (train, benchmark and approximation "
      "jobs) and query their results in one SQLite store.");
  app.set_version_flag("--version", std::string(AttnsweepVersion()) + " (" + GitRevision() + ")");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("-v,--verbose", flags->verbose, "more log output (debug)");
  app.add_flag("-q,--quiet", flags->quiet, "only warnings and errors");
}

bool NamesCommand(const CLI::App& app, const std::string& name) {
  const auto named = [&](const CLI::App* command) { return command->get_name() == name; };
  return !app.get_subcommands(named).empty();
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  // A command that is none of ours: CLI11 would only say that one is required.
  if (argc > 1 && argv[1][0] != '-' && !NamesCommand(app, argv[1])) {
    PrintError(std::string("'") + argv[1] +
               "' is not an attnsweep command: `attnsweep --help` lists them");
    return kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version, or the parse error
    return code == 0 ? kExitOk : kExitBadInput;
  }
  return std::nullopt;
}

int RunMain(const std::function<int()>& main) {
  ExitAtOnceOnInterrupt();
  try {
    return main();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: unexpected failure: %s\n", e.what());
    return kExitInternalError;
  }
}

int ExitCodeOf(const std::function<int()>& command) {
  try {
    return command();
  } catch (const QueryRefused& e) {
    PrintError(e.what());
    return kExitBadInput;
  } catch (const StoreError& e) {
    PrintError(e.what());
    return kExitStoreError;
  }
}

}  // namespace attnsweep
