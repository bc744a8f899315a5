#include "store/attempt_outcomes.h"

#include "experiments/base/attempt_outcomes.h"

namespace attnsweep {
namespace {
bool HasRule(const std::string& outcome, OutcomeRetry retry) {
  const AttemptOutcome* row = FindAttemptOutcome(outcome);
  return row != nullptr && row->retry == retry;
}
}  // namespace

bool CountsAgainstAttempts(const std::string& outcome) {
  return HasRule(outcome, OutcomeRetry::kCounted);
}

bool MayRunAgainAfter(const std::string& outcome) {
  return HasRule(outcome, OutcomeRetry::kCounted) || HasRule(outcome, OutcomeRetry::kFree);
}

std::string CountedOutcomesSql() {
  std::string sql = "(";
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    if (row.retry != OutcomeRetry::kCounted) continue;
    sql += std::string(sql.size() > 1 ? ", '" : "'") + row.name + "'";
  }
  return sql + ")";
}

}  // namespace attnsweep
