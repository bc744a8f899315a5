// MPI's lifetime, owned by main() alone, and only for the commands that distribute work (run,
// resume): the others never start MPI (a singleton init spawns a helper daemon). Keeps <mpi.h> out
// of headers.
#pragma once

#include <memory>
#include <string>

#include "workers/transport.h"

namespace attnsweep {

struct NodePlacement {
  int local_rank = 0;       // rank among the processes on this node
  int workers_on_node = 1;  // worker ranks on this node, the coordinator excluded
  bool coordinator_here = false;
};

class MpiRuntime {
 public:
  // MPI_Init_thread asking for FUNNELED (only the main thread calls MPI; jobs run in other
  // threads). Throws std::runtime_error when MPI cannot start or grants less.
  MpiRuntime(int* argc, char*** argv);
  // MPI_Finalize; call Abandon() first on a path where other ranks may not finalize (a signal).
  ~MpiRuntime();
  MpiRuntime(const MpiRuntime&) = delete;
  MpiRuntime& operator=(const MpiRuntime&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Under mpirun (rather than a singleton).
  bool launched_by_mpirun() const;
  NodePlacement Placement() const;
  std::string LibraryVersion() const;
  // The transport over MPI_COMM_WORLD.
  std::unique_ptr<Transport> MakeTransport() const;
  // Skips MPI_Finalize at destruction: after a stop signal other ranks may be gone already, and a
  // finalize would wait for them.
  void Abandon() { finalize_ = false; }

 private:
  int rank_ = 0;
  int size_ = 1;
  bool finalize_ = true;
};

// Before MPI starts, from what mpirun put in the environment: false only for rank 0 of several
// ranks, which coordinates and runs no job.
bool MayRunJobs();

// A rank under mpirun asks the kernel to kill it if mpirun (its parent) dies, so no orphaned rank
// goes on writing to the store after `kill -9` of mpirun.
void DieWithParentUnderMpirun();

}  // namespace attnsweep
