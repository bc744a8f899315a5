// Runs a batch's pending jobs in this process, one after another, most expensive first, committing
// each result to the store as soon as it is known.
#pragma once

#include <cstdint>

#include "store/result_store.h"

namespace attnsweep {

struct SweepOptions {
  AttemptPlace place;  // rank, host, device and threads recorded with each attempt
};

struct SweepReport {
  int64_t done = 0;
  int64_t failed = 0;
  bool interrupted = false;
};

// Returns when no job is pending or a stop was requested (see interrupts.h). The batch's status is
// set to done, failed (some jobs failed) or interrupted before returning.
SweepReport RunLocalSweep(ResultStore& store, int64_t batch_id, const SweepOptions& options);

}  // namespace attnsweep
