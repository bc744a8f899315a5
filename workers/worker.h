// A worker rank's side of the protocol: say hello, run each assigned job in a thread of its own
// while the main thread (the only one that talks to MPI) sends heartbeats and listens for cancel
// and shutdown, and report how each attempt ended.
#pragma once

#include <functional>
#include <string>

#include "workers/transport.h"

namespace attnsweep {

class JobLauncher;

struct WorkerOptions {
  std::string host;
  int threads = 1;  // intra-op threads for each job
  // Threads of every worker on this node together: what a job with the node to itself gets.
  int node_threads = 1;
  // Where its jobs run ("cpu", "cuda:1"); empty, with device_error saying why, when none fits
  // --device: the worker says so in its hello and is given no job.
  std::string device = "cpu";
  std::string device_error;
  double heartbeat_s = 2.0;  // while a job runs
  int coordinator = 0;       // rank of the coordinator
  // Where job processes write their output while they run (it travels back with each result);
  // empty: a folder of the worker's own under the temporary directory, removed at the end.
  std::string log_dir;
  // SIGINT/SIGTERM: stop the job in flight and leave.
  std::function<bool()> interrupt_requested = [] { return false; };
  // After an interrupt, how long to wait for the coordinator's shutdown before leaving anyway.
  double interrupt_grace_s = 2.0;
  // Forks the job processes (job_launcher.h); null: each is spawned from the binary, 0.3 s slower.
  JobLauncher* launcher = nullptr;
};

// Serves the coordinator until it says shut down; returns the exit code it sent (130 when
// interrupted without one).
int RunWorker(Transport& transport, const WorkerOptions& options);

}  // namespace attnsweep
