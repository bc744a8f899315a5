// The coordinator's early-stopping decisions (an experiment's `scheduler:`): a RungJudge per group
// (experiments/rung_rules.h) fed the figures jobs report at their decision epochs, in the order the
// coordinator hears them, each decision stored with its evidence before the job is told. A new
// coordinator (resume) first replays the batch's stored decisions in the order they were made, so
// it goes on exactly as the killed one would have: a job that asks again about an epoch it was
// already judged at (a resumed attempt) gets the same answer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "experiments/job_contract.h"
#include "experiments/job_plan.h"
#include "experiments/rung_rules.h"
#include "store/result_store.h"
#include "store/write_queue.h"

namespace attnsweep {

class StoppingDecisions {
 public:
  // Replays the batch's stored decisions. `writes` is the coordinator's queue of starts and
  // results: flushed before a decision is stored, which the store fences on the attempt's start.
  StoppingDecisions(ResultStore& store, WriteQueue& writes, int64_t batch_id);

  // The decision about job `job_id`'s attempt `attempt`, whose plan is `plan`, now that it reports
  // `progress`; nullopt when there is none to make (no scheduler, not a decision epoch) or the
  // store refused it (the attempt is no longer the job's current one: nobody waits for it). Throws
  // StoreError.
  std::optional<RungDecision> Decide(int64_t job_id, int attempt, const JobPlan& plan,
                                     const JobProgress& progress);

  // Decisions replayed that came out otherwise than stored (none, unless the rule's code changed
  // between the runs).
  int64_t replay_mismatches() const { return replay_mismatches_; }

 private:
  RungJudge& JudgeOf(const EarlyStopping& stopping);

  ResultStore& store_;
  WriteQueue& writes_;
  std::map<std::string, RungJudge> judges_;  // by group
  int64_t replay_mismatches_ = 0;
};

}  // namespace attnsweep
