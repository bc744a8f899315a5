// How an attempt ended (attempts.outcome), and what each outcome means for the job's retry budget.
// One place for the rules: the store counts with them, the scheduler retries by them.
//
//   counted   crash, timeout, killed, lost, rank_died: the job's fault or the machine's, nobody can
//             tell which: tried again while the job has attempts left (max_attempts), so a job
//             that keeps taking its process or its rank down ends failed, never loops;
//   free      interrupted, abandoned: nothing the job did (the sweep was stopped; its coordinator
//             died while the job ran in a process of its own): run again, never counted;
//   final     done, error, oom, diverged, invalid: the job would only do the same again.
#pragma once

#include <string>

namespace attnsweep {

bool CountsAgainstAttempts(const std::string& outcome);
// Whether a job whose attempt ended so may run again (within its budget, for counted outcomes).
bool MayRunAgainAfter(const std::string& outcome);
// The counted outcomes as an SQL list: "('crash', 'timeout', ...)".
std::string CountedOutcomesSql();

}  // namespace attnsweep
