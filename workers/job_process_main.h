// The body of a job process: the hidden `attnsweep __job` command a worker spawns. It reads assign
// frames on stdin, runs each job, and writes a result frame to fd 3, until stdin closes. It never
// starts MPI, and it dies with the worker that spawned it.
#pragma once

#include <cstdint>

namespace attnsweep {

constexpr int kJobResultFd = 3;
// Set by the worker in the child's environment: the pid the child must have as its parent.
constexpr const char* kJobParentEnv = "ATTNSWEEP_JOB_PARENT";

// Whether an environment entry ("NAME=value") is one that mpirun or PMIx set: a job process must
// not inherit them, or it, or what it starts, would take itself for an MPI rank.
bool IsMpiVariable(const char* entry);

// Serves jobs with `threads` threads; its worker holds it to the job memory cap from outside
// (job_process.h). Returns the exit code. Refuses to run unless the parent is the worker that
// spawned it (kJobParentEnv).
int RunJobProcessMain(int threads);
// The same, for a job process forked by the launcher (job_launcher.h), whose parent it is.
int ServeJobsFromLauncher(int threads);

}  // namespace attnsweep
