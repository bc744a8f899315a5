// What `run` and `resume` share: their sweep options, parsed as the command line is (a bad
// duration or size is refused before anything is read or stored), and how a batch command ends.
#pragma once

#include "workers/batch_service.h"
#include "workers/sweep.h"

namespace CLI {
class App;
}

namespace attnsweep {

// The options that fill `settings`: --isolation, --job-timeout, --job-memory, --device, ...
void AddSweepOptions(CLI::App* command, SweepSettings* settings);

// Rank 0's last step: tells the user the problem, if any, then runs the batch or dismisses the
// worker ranks (BatchService::Run). Returns the exit code.
int FinishSweepCommand(BatchService& service, const BatchToRun& to_run);

}  // namespace attnsweep
