// What an attempt's outcome (attempts.outcome) means for the job's retry budget, as the store and
// the scheduler ask it. The outcomes and their rules are one table, kAttemptOutcomes in
// experiments/base/attempt_outcomes.h: a counted outcome is tried again while the job has attempts
// left (max_attempts), a free one always and never counted, a final one never.
#pragma once

#include <string>

namespace attnsweep {

bool CountsAgainstAttempts(const std::string& outcome);
// Whether a job whose attempt ended so may run again (within its budget, for counted outcomes).
bool MayRunAgainAfter(const std::string& outcome);
// The counted outcomes as an SQL list: "('crash', 'timeout', ...)".
std::string CountedOutcomesSql();

}  // namespace attnsweep
