#include "workers/process_liveness.h"

#include <signal.h>

#include <cerrno>
#include <fstream>

#include "workers/placement.h"

namespace attnsweep {

bool ProcessIsGone(const std::string& host, int pid) {
  if (host != HostName() || pid <= 0) return false;
  if (kill(pid, 0) != 0) return errno == ESRCH;
  // Alive as far as kill() can tell: a zombie not yet reaped is dead, and so is a pid that the
  // kernel has since given to another program.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  if (close != std::string::npos && close + 2 < line.size()) {
    const char state = line[close + 2];
    if (state == 'Z' || state == 'X') return true;
  }
  const size_t open = line.find('(');
  const std::string command = open != std::string::npos && close != std::string::npos
                                  ? line.substr(open + 1, close - open - 1)
                                  : "";
  return !command.empty() && command != "attnsweep";
}

}  // namespace attnsweep
