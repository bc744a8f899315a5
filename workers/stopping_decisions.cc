#include "workers/stopping_decisions.h"

#include <cmath>
#include <limits>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace attnsweep {

StoppingDecisions::StoppingDecisions(ResultStore& store, WriteQueue& writes, int64_t batch_id)
    : store_(store), writes_(writes) {
  for (const RungDecisionRecord& stored : store_.RungDecisions(batch_id)) {
    const auto stopping =
        EarlyStopping::FromJson(nlohmann::json::parse(stored.rule, nullptr, false));
    if (!stopping) {
      spdlog::warn("job #{}: a stored decision's rule is unreadable: not replayed", stored.job_id);
      continue;
    }
    EarlyStopping with_group = *stopping;
    with_group.group = stored.group;
    const RungDecision replayed =
        JudgeOf(with_group).Report(stored.group, stored.job_id, stored.epoch, stored.value);
    if (replayed.go_on != stored.go_on) {
      ++replay_mismatches_;
      spdlog::warn("job #{} at epoch {}: the stored decision ({}) replays as {}", stored.job_id,
                   stored.epoch, stored.go_on ? "continue" : "stop",
                   replayed.go_on ? "continue" : "stop");
    }
  }
}

RungJudge& StoppingDecisions::JudgeOf(const EarlyStopping& stopping) {
  return judges_.try_emplace(stopping.group, stopping.rule).first->second;
}

std::optional<RungDecision> StoppingDecisions::Decide(int64_t job_id, int attempt,
                                                      const JobPlan& plan,
                                                      const JobProgress& progress) {
  if (!plan.early_stopping) return std::nullopt;
  const EarlyStopping& stopping = *plan.early_stopping;
  // A figure that is not the rule's (a job without a validation split follows its training loss)
  // or that is not a number (AUC on one class) counts as the worst there is: the job cannot show
  // it is among the best.
  double value = progress.value;
  if (progress.metric != stopping.metric || std::isnan(value)) {
    value = stopping.rule.higher_is_better ? -std::numeric_limits<double>::infinity()
                                           : std::numeric_limits<double>::infinity();
  }
  const RungDecision decision =
      JudgeOf(stopping).Report(stopping.group, job_id, progress.epoch, value);
  if (!decision.judged) return std::nullopt;  // not one of the rule's epochs
  RungDecisionRecord record;
  record.job_id = job_id;
  record.attempt = attempt;
  record.epoch = progress.epoch;
  record.group = stopping.group;
  record.rule = stopping.RuleJson().dump();
  record.metric = stopping.metric;
  record.value = value;
  record.go_on = decision.go_on;
  record.reached = decision.reached;
  record.better = decision.better;
  if (stopping.rule.type == RungRule::Type::kAsha) record.allowed = decision.allowed;
  if (decision.reached > 1 || stopping.rule.type == RungRule::Type::kAsha) {
    record.threshold = decision.threshold;
  }
  record.reason = decision.reason;
  writes_.Flush();
  if (!store_.RecordRungDecision(record)) return std::nullopt;
  return decision;
}

}  // namespace attnsweep
