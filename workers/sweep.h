// The processes of one `run` or `resume`: rank 0 coordinates, every other rank works. With one
// rank, rank 0 does both: its worker is a thread talking to it over an in-process transport, so the
// same protocol (heartbeats, cancel, fencing) runs whether or not there is an mpirun.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/result_store.h"
#include "workers/coordinator.h"
#include "workers/device_placement.h"
#include "workers/job_launcher.h"
#include "workers/mpi_runtime.h"

namespace attnsweep {

struct SweepSettings {
  std::string device = "auto";  // auto | cpu | cuda: where each worker runs its jobs
  int threads_per_rank = 0;     // 0: the node's usable cores over its worker ranks
  int max_attempts = 2;
  double worker_timeout_s = 60;
  std::string isolation = "auto";  // process | host | inproc | auto; an experiment's limits win
  double job_timeout_s = 0;        // 0: none
  int64_t job_memory_bytes = 0;    // 0: no cap
  std::string log_root;            // where job logs are kept (<db>.logs); empty: not kept
  std::string checkpoint_root;     // where train jobs checkpoint (<db>.checkpoints); empty: not
};

class SweepRanks {
 public:
  // Collective: every rank constructs it, in the same order relative to other MPI calls.
  // `launcher` forks this rank's job processes; null: they are spawned from the binary.
  SweepRanks(MpiRuntime& mpi, JobLauncher* launcher);
  // A rank 0 that neither coordinated nor dismissed the workers dismisses them with exit code 3, so
  // they never wait forever (a store error escaping rank 0 as an exception, say).
  ~SweepRanks();

  bool is_coordinator() const { return mpi_.rank() == 0; }
  int worker_ranks() const { return std::max(1, mpi_.size() - 1); }
  int ThreadsPerJob(const SweepSettings& settings) const;
  // This rank's device as a worker (device_placement.h): its index among its node's workers,
  // modulo the GPUs it sees.
  DeviceChoice WorkerDevice(const SweepSettings& settings) const;

  // Worker ranks: serve until the coordinator says shut down; returns the exit code it gave.
  int ServeAsWorker(const SweepSettings& settings);
  // Rank 0: runs the batch's pending jobs; the batch's lease must be held by LeaseOwner().
  SweepReport Coordinate(ResultStore& store, int64_t batch_id, const SweepSettings& settings);
  // Rank 0, when it will not coordinate (bad input, a refused lease): every worker exits with
  // `exit_code`.
  void Dismiss(int exit_code);

 private:
  MpiRuntime& mpi_;
  JobLauncher* launcher_;
  NodePlacement placement_;
  std::unique_ptr<Transport> transport_;  // over MPI, when there are several ranks
  bool settled_ = false;
};

// This process as a lease holder: "host:pid".
std::string LeaseOwner();
// True when `holder` ("host:pid") ran on this host and that process is gone.
bool LeaseHolderIsDead(const std::string& holder);

}  // namespace attnsweep
