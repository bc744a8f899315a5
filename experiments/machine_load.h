// What the machine was doing while a benchmark timed its passes: a timing taken while other
// processes held the cores, or while the hypervisor stole them, is not the code's speed. Read from
// /proc (Linux); a figure the kernel does not give is NaN, and the job then records nothing for it.
#pragma once

#include <chrono>

namespace attnsweep {

// The counters at one moment; two of them bound a measured stretch.
struct MachineSnapshot {
  std::chrono::steady_clock::time_point at;
  double process_cpu_s = 0;  // this process's CPU time, every thread of it
  // /proc/stat's first line, all CPUs together, in the kernel's clock ticks; negative when absent.
  double busy_ticks = -1, total_ticks = -1, steal_ticks = -1;
};

MachineSnapshot TakeMachineSnapshot();

struct MachineLoad {
  double load_avg;      // the 1-minute load average at the end (/proc/loadavg)
  double cpu_per_wall;  // this process's CPU seconds per wall second: about its threads, if alone
  double other_cores;   // cores' worth of CPU time that other processes used meanwhile
  double steal_pct;     // share of the CPUs' time the hypervisor gave to other guests
  double cpu_mhz;       // the CPUs' mean clock at the end, where the kernel tells it
};

// The load over the stretch between two snapshots.
MachineLoad LoadBetween(const MachineSnapshot& start, const MachineSnapshot& end);

}  // namespace attnsweep
