#include "tests/test_process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

extern char** environ;

namespace attnsweep::testing {

std::string Attnsweep() { return std::string("'") + ATTNSWEEP_BINARY + "'"; }

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t StartShell(const std::string& command, const std::string& cwd) {
  const std::string script = "cd '" + cwd + "' && " + command;
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  pid_t pid = -1;
  posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ);
  return pid;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

CommandResult RunShell(const std::string& command, const std::string& cwd) {
  const std::string out_path = cwd + "/.stdout", err_path = cwd + "/.stderr";
  CommandResult result;
  result.exit_code = WaitExitCode(
      StartShell("{ " + command + "; } >'" + out_path + "' 2>'" + err_path + "'", cwd));
  result.out = ReadFileText(out_path);
  result.err = ReadFileText(err_path);
  return result;
}

}  // namespace attnsweep::testing
