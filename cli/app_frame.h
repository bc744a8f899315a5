// What the two attnsweep binaries' command lines share (cli/main.cc, cli/engine_main.cc): the
// app's description, --version, -v and -q, parsing with its errors and the exit codes of a refused
// query or a failed store.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct GlobalFlags {
  int verbose = 0;
  bool quiet = false;
  // SetupLogging's verbosity: -1 quiet, 0 normal, 1 debug.
  int verbosity() const { return quiet ? -1 : verbose > 0 ? 1 : 0; }
};

// The description, --version, -v, -q; one subcommand required.
void SetupApp(CLI::App& app, GlobalFlags* flags);

// Whether `name` is one of `app`'s commands.
bool NamesCommand(const CLI::App& app, const std::string& name);

// Parses the command line. Returns the exit code to end with when it is refused (an unknown
// command, a bad option) or when it asked for help or the version; nullopt to go on.
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv);

// The body of a main: the first stop signal ends the process at once with 130 until a command
// installs its own handlers (ExitAtOnceOnInterrupt), and an exception that reached it is a bug,
// printed, exit 70.
int RunMain(const std::function<int()>& main);

// Runs `command`; a refused query or a store that failed is printed and becomes its exit code.
int ExitCodeOf(const std::function<int()>& command);

}  // namespace attnsweep
