// Running the attnsweep binary from tests, as a user's shell would.
#pragma once

#include <sys/types.h>

#include <string>

namespace attnsweep::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh in `cwd`, capturing stdout and stderr.
CommandResult RunShell(const std::string& command, const std::string& cwd);

// Starts `command` with /bin/sh in `cwd` without waiting. Begin the command with `exec` for the pid
// to be the program's own (to signal it).
pid_t StartShell(const std::string& command, const std::string& cwd);
// Waits for a started process; returns its exit code (128 + signal when killed by one).
int WaitExitCode(pid_t pid);

// The binary under test, quoted for the shell.
std::string Attnsweep();

std::string ReadFileText(const std::string& path);

}  // namespace attnsweep::testing
