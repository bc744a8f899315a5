#include "experiments/job_contract.h"

namespace attnsweep {

const char* JobOutcomeName(JobOutcome outcome) {
  const AttemptOutcome* row = FindAttemptOutcome(outcome);
  return row != nullptr ? row->name : "error";
}

std::optional<JobOutcome> JobOutcomeFromName(const std::string& name) {
  const AttemptOutcome* row = FindAttemptOutcome(name);
  if (row == nullptr) return std::nullopt;
  return row->job;  // none for the coordinator's own outcomes: no job reports them
}

}  // namespace attnsweep
