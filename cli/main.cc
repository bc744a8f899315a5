// attnsweep, as a user starts it. The commands that read a store (status, results, query, report,
// ...) run here, in a binary without LibTorch or MPI: it starts in milliseconds, where loading
// LibTorch (Debian's pulls in some 300 shared libraries) takes most of a second. Every other
// command line (run, resume, a job process, --help, --version, a mistyped command) is handed by
// exec to the binary that runs jobs (cli/engine_main.cc): the same process, arguments and
// environment, so mpirun, srun and the process's name see no difference.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>

#include "cli/app_frame.h"
#include "cli/common.h"
#include "cli/logging.h"
#include "cli/reading_commands.h"
#include "experiments/base/exit_codes.h"
#include "experiments/builtins.h"

namespace {

namespace fs = std::filesystem;

// The command line's first word that is not an option: the global options (-v, -q, --help,
// --version) take no value, so this is the command CLI11 will see.
std::string CommandWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') return argv[i];
  }
  return "";
}

// The binary that runs jobs: beside this one in a build (libexec/attnsweep), or where an install
// puts it (../libexec/attnsweep/attnsweep from bin/). Named attnsweep too: the process keeps the
// name `ps` and the store's liveness check (process_liveness.cc) know it by.
fs::path EnginePath() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const fs::path dir = self.parent_path();
  for (const fs::path& candidate :
       {dir / "libexec" / "attnsweep", dir.parent_path() / "libexec" / "attnsweep" / "attnsweep"}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// Returns only when the exec failed: the exit code.
int HandToEngine(char** argv) {
  const fs::path engine = EnginePath();
  if (engine.empty()) {
    attnsweep::PrintError(
        "attnsweep's job engine (libexec/attnsweep beside this binary, or "
        "../libexec/attnsweep/attnsweep) is missing: rebuild (`make build`) or reinstall");
    return attnsweep::kExitLaunchFailed;
  }
  ::execv(engine.c_str(), argv);
  attnsweep::PrintError("cannot start attnsweep's job engine " + engine.string() + ": " +
                        std::strerror(errno));
  return attnsweep::kExitLaunchFailed;
}

int Main(int argc, char** argv) {
  using namespace attnsweep;
  RegisterBuiltins();
  CLI::App app;
  GlobalFlags flags;
  SetupApp(app, &flags);
  ReadingCommands reading(app);
  // Setting the reading commands up takes well under a millisecond: the app they make is what says
  // which command lines stay here.
  if (!NamesCommand(app, CommandWord(argc, argv))) return HandToEngine(argv);
  if (const auto code = ParseCommandLine(app, argc, argv)) return *code;
  SetupLogging(flags.verbosity(), 0);
  NoteUnnamedStore();
  return ExitCodeOf([&] { return reading.Run(); });
}

}  // namespace

int main(int argc, char** argv) {
  return attnsweep::RunMain([&] { return Main(argc, argv); });
}
