// Ctrl-C and friends, turned into flags the sweep loop and running jobs poll.
//
// SIGINT/SIGTERM: stop now; the job in flight ends as `interrupted` (not counted as a failure) and
// goes back to pending. A second SIGINT while stopping restores the default action, so a user can
// always kill a stuck process.
#pragma once

namespace attnsweep {

void InstallInterruptHandlers();
bool InterruptRequested();
// SIGUSR1 (mpirun forwards it; Slurm's --signal sends it): finish the running jobs, start no more.
bool DrainRequested();
// The signal that asked to stop (SIGINT, SIGTERM), 0 when none.
int InterruptSignal();

}  // namespace attnsweep
