#include "workers/scheduler.h"

#include "store/attempt_outcomes.h"

#include <algorithm>

namespace attnsweep {

void Scheduler::Add(ScheduledJob job) {
  // After every job at least as long: equal estimates keep the order they came in.
  auto at = std::upper_bound(
      queue_.begin(), queue_.end(), job.estimate_s,
      [](double estimate, const ScheduledJob& queued) { return estimate > queued.estimate_s; });
  queue_.insert(at, std::move(job));
}

std::optional<ScheduledJob> Scheduler::Next(int rank, const std::string& host) {
  const Node node = nodes_.count(host) ? nodes_.at(host) : Node{};
  if (node.needing_node > 0) return std::nullopt;
  auto chosen = queue_.end();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (node.running > 0 && it->plan.needs_node) continue;  // it waits for an idle node
    const auto failed = failed_on_.find(it->record.id);
    const bool fresh =
        failed == failed_on_.end() ||
        std::find(failed->second.begin(), failed->second.end(), rank) == failed->second.end();
    if (fresh) {
      chosen = it;
      break;
    }
    if (chosen == queue_.end()) chosen = it;  // only if no job is fresh for this rank
  }
  if (chosen == queue_.end()) return std::nullopt;
  ScheduledJob job = std::move(*chosen);
  queue_.erase(chosen);
  return job;
}

void Scheduler::Started(const std::string& host, const JobPlan& plan) {
  Node& node = nodes_[host];
  ++node.running;
  node.needing_node += plan.needs_node ? 1 : 0;
}

void Scheduler::Ended(const std::string& host, const JobPlan& plan) {
  Node& node = nodes_[host];
  node.running = std::max(0, node.running - 1);
  node.needing_node = std::max(0, node.needing_node - (plan.needs_node ? 1 : 0));
}

int Scheduler::RunningOn(const std::string& host) const {
  auto it = nodes_.find(host);
  return it == nodes_.end() ? 0 : it->second.running;
}

void Scheduler::FailedOn(int64_t job_id, int rank) { failed_on_[job_id].push_back(rank); }

int Scheduler::MaxAttempts(const JobPlan& plan) const {
  return plan.max_attempts.value_or(default_max_attempts_);
}

bool Scheduler::ShouldRetry(const JobPlan& plan, const std::string& outcome,
                            int counted_attempts) const {
  return Retriable(outcome) && counted_attempts < MaxAttempts(plan);
}

bool Scheduler::Retriable(const std::string& outcome) { return CountsAgainstAttempts(outcome); }

}  // namespace attnsweep
