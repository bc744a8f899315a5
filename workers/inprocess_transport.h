// A transport between threads of one process: a mailbox per rank. For the protocol's tests and for
// the one-rank run (coordinator and worker as two threads).
#pragma once

#include <memory>
#include <vector>

#include "workers/transport.h"

namespace attnsweep {

// Creates `size` connected endpoints; endpoint r has rank r. Each endpoint is used by one thread;
// the hub lives as long as any endpoint.
std::vector<std::unique_ptr<Transport>> MakeInProcessTransports(int size);

}  // namespace attnsweep
