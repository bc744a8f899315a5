#include "workers/process_liveness.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "workers/placement.h"

namespace attnsweep {

namespace {

// Process `pid`'s line of /proc/PID/stat, "" when it cannot be read.
std::string StatLine(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  return line;
}

// A zombie not yet reaped, or a process on its way out: dead for every purpose here.
bool IsZombie(const std::string& stat_line) {
  const size_t close = stat_line.rfind(')');
  if (close == std::string::npos || close + 2 >= stat_line.size()) return false;
  const char state = stat_line[close + 2];
  return state == 'Z' || state == 'X';
}

}  // namespace

bool ProcessHasEnded(int pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0) return errno == ESRCH;
  return IsZombie(StatLine(pid));
}

bool ProcessIsGone(const std::string& host, int pid) {
  if (host != HostName() || pid <= 0) return false;
  if (kill(pid, 0) != 0) return errno == ESRCH;
  // Alive as far as kill() can tell: a zombie not yet reaped is dead, and so is a pid that the
  // kernel has since given to another program.
  const std::string line = StatLine(pid);
  if (IsZombie(line)) return true;
  const size_t open = line.find('('), close = line.rfind(')');
  const std::string command = open != std::string::npos && close != std::string::npos
                                  ? line.substr(open + 1, close - open - 1)
                                  : "";
  return !command.empty() && command != "attnsweep";
}

}  // namespace attnsweep
