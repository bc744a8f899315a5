#include "workers/placement.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

namespace attnsweep {

int UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

int ThreadsPerWorker(int requested, int workers_on_node) {
  if (requested > 0) return requested;
  return std::max(1, UsableCores() / std::max(1, workers_on_node));
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

}  // namespace attnsweep
