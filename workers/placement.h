// Where and with how many threads this process runs jobs.
#pragma once

#include <string>

namespace attnsweep {

// Cores this process may run on (its CPU affinity mask, which mpirun binding or taskset narrow), at
// least 1.
int UsableCores();

// Intra-op threads for each of `workers_on_node` worker processes sharing this node: an explicit
// request wins; otherwise the usable cores divided evenly, at least 1.
int ThreadsPerWorker(int requested, int workers_on_node);

std::string HostName();

}  // namespace attnsweep
