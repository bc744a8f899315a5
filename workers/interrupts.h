// Ctrl-C and friends, turned into flags the sweep loop and running jobs poll.
//
// SIGINT/SIGTERM/SIGHUP: stop now; the job in flight ends as `interrupted` (not counted as a
// failure) and goes back to pending. A second one while stopping restores the default action, so a
// user can always kill a stuck process.
#pragma once

namespace attnsweep {

// From the start of main, until InstallInterruptHandlers: the first SIGINT, SIGTERM or SIGHUP ends
// the process at once with exit 130. Before a command writes it has nothing to lose, and reading
// a grid or preparing data does not poll: a FIFO, /dev/zero or a YAML bomb would otherwise hold
// the signal for good (a store write in flight is a SQLite transaction, rolled back).
void ExitAtOnceOnInterrupt();
// From a sweep's first write to its store (and in workers and job processes): the signal becomes
// a flag the sweep loop and running jobs poll.
void InstallInterruptHandlers();
bool InterruptRequested();
// SIGUSR1 (mpirun forwards it; Slurm's --signal sends it): finish the running jobs, start no more.
bool DrainRequested();
// The signal that asked to stop (SIGINT, SIGTERM), 0 when none.
int InterruptSignal();

}  // namespace attnsweep
