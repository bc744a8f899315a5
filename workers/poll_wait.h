// Waiting for what cannot wake us: MPI gives no descriptor to block on, and Open MPI's blocking
// receive spins a core at 100% (on a node whose cores run jobs, that core is a job's). So a rank
// polls: for the first millisecond after it last had something to do it yields the CPU between
// probes (a message that follows another by microseconds is seen at once, which is what makes a
// sweep of short jobs fast), then it sleeps 20 µs, doubling up to 1 ms (an idle rank wakes at most
// a thousand times a second, a cost too small to measure beside a job).
#pragma once

#include <chrono>
#include <functional>

namespace attnsweep {

class Poller {
 public:
  using Clock = std::chrono::steady_clock;

  // Something happened: the next waits start yielding again.
  void Active();
  // Polls `ready` until it returns true (then returns true) or `deadline` passes (false).
  bool WaitUntil(const std::function<bool()>& ready, Clock::time_point deadline);

 private:
  Clock::time_point active_ = Clock::now();
  std::chrono::microseconds sleep_{20};
};

}  // namespace attnsweep
