#include "experiments/machine_load.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace attnsweep {
namespace {

constexpr double kNotKnown = NAN;

double ProcessCpuSeconds() {
  timespec now{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0) return kNotKnown;
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// The mean of scaling_cur_freq over the CPUs that have one (kHz there), else /proc/cpuinfo's
// "cpu MHz" lines (a virtual machine often has only those).
double MeanCpuMhz() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  double sum = 0;
  int count = 0;
  for (long cpu = 0; cpu < cpus; ++cpu) {
    std::ifstream file("/sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                       "/cpufreq/scaling_cur_freq");
    double khz = 0;
    if (file >> khz && khz > 0) {
      sum += khz / 1000;
      ++count;
    }
  }
  if (count > 0) return sum / count;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    sum += std::stod(line.substr(colon + 1));
    ++count;
  }
  return count > 0 ? sum / count : kNotKnown;
}

double LoadAverage() {
  std::ifstream file("/proc/loadavg");
  double one_minute = 0;
  return file >> one_minute ? one_minute : kNotKnown;
}

}  // namespace

MachineSnapshot TakeMachineSnapshot() {
  MachineSnapshot snapshot;
  snapshot.at = std::chrono::steady_clock::now();
  snapshot.process_cpu_s = ProcessCpuSeconds();
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": guest time is counted
  // in user already, so it is left out of the sum.
  std::ifstream stat("/proc/stat");
  std::string line;
  if (std::getline(stat, line) && line.rfind("cpu ", 0) == 0) {
    std::istringstream fields(line.substr(4));
    double value[8] = {};
    int read = 0;
    while (read < 8 && fields >> value[read]) ++read;
    if (read >= 4) {
      const double idle = value[3] + (read > 4 ? value[4] : 0);  // idle + iowait
      double total = 0;
      for (int i = 0; i < read; ++i) total += value[i];
      snapshot.total_ticks = total;
      snapshot.busy_ticks = total - idle;
      snapshot.steal_ticks = read > 7 ? value[7] : -1;
    }
  }
  return snapshot;
}

MachineLoad LoadBetween(const MachineSnapshot& start, const MachineSnapshot& end) {
  MachineLoad load{LoadAverage(), kNotKnown, kNotKnown, kNotKnown, MeanCpuMhz()};
  const double wall_s = std::chrono::duration<double>(end.at - start.at).count();
  if (!(wall_s > 0)) return load;
  const double own_cpu_s = end.process_cpu_s - start.process_cpu_s;
  load.cpu_per_wall = own_cpu_s / wall_s;
  const double total = end.total_ticks - start.total_ticks;
  if (start.total_ticks >= 0 && end.total_ticks >= 0 && total > 0) {
    const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double busy_s = (end.busy_ticks - start.busy_ticks) / ticks_per_s;
    // Ticks are sampled (100 a second): over a short stretch the busy time can read a little below
    // our own CPU time, which is exact.
    load.other_cores = std::max(0.0, (busy_s - own_cpu_s) / wall_s);
    if (start.steal_ticks >= 0 && end.steal_ticks >= 0)
      load.steal_pct = 100 * (end.steal_ticks - start.steal_ticks) / total;
  }
  return load;
}

}  // namespace attnsweep
