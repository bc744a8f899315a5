// Exit codes a script can rely on.
#pragma once

namespace attnsweep {

constexpr int kExitOk = 0;              // everything asked for was done
constexpr int kExitJobsFailed = 1;      // the sweep ran, and some jobs failed
constexpr int kExitBadInput = 2;        // a bad grid, option, or query; nothing was run or stored
constexpr int kExitStoreError = 3;      // the store could not be opened, read or written
constexpr int kExitLaunchFailed = 4;    // MPI (the process environment of run/resume) did not start
constexpr int kExitInternalError = 70;  // an unexpected failure: a bug (EX_SOFTWARE, sysexits.h)
constexpr int kExitInterrupted = 130;   // stopped by SIGINT/SIGTERM; resume finishes the batch

}  // namespace attnsweep
