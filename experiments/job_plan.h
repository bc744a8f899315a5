// How one job runs, computed once when the grid is expanded and stored with the job: the
// coordinator and the workers read the plan, never the config (which travels, as JSON, only to the
// job that runs it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/rung_rules.h"

namespace attnsweep {

// An experiment's `scheduler:` (experiments/scheduler_section.h) as one of its jobs carries it: the
// rule that may stop it early, the figure judged, and the group it is judged within.
struct EarlyStopping {
  RungRule rule;
  std::string metric;            // the per-epoch validation figure judged (val_auc)
  std::vector<std::string> per;  // the keys whose values make a group
  // "<experiment>" or "<experiment>: model.attention=softmax": the jobs judged against each other.
  std::string group;

  // The epochs at which a job waits for a decision (experiments/rung_rules.h's RungEpochs).
  std::vector<int64_t> DecisionEpochs() const { return RungEpochs(rule); }
  // The rule alone (type, metric, mode, grace, max_epochs, reduction, per), without the group: what
  // the job key hashes, so that a job stopped early is never taken for one trained to the end.
  nlohmann::json RuleJson() const;
  nlohmann::json ToJson() const;  // RuleJson and the group
  static std::optional<EarlyStopping> FromJson(const nlohmann::json& in);
};

struct JobPlan {
  std::string task;
  // "softmax, max_len=1024, seed=1": enough to recognise the job in a log line.
  std::string label;
  // Set by the experiment's `limits`; unset, the sweep's options decide.
  std::optional<std::string> isolation;  // process | host | inproc | auto
  std::optional<double> timeout_s;
  std::optional<int64_t> memory_bytes;
  std::optional<int> max_attempts;
  // The task's isolation under `auto`.
  std::string default_isolation = "process";
  // Runs alone on its node, with all its cores (exclusive benchmarks).
  bool needs_node = false;
  // The transaction settings whose preparation the job loads (null: it reads no data). Jobs with
  // equal settings share one preparation.
  nlohmann::json data;
  // The cost model's key for jobs that scale alike ("benchmark/softmax"), and the analytic
  // estimate, in seconds on one core, that it corrects with measured times.
  std::string cost_group;
  double estimate_s = 0;
  // Set by the experiment's `scheduler:`: the job reports its figure at the rule's rungs and waits
  // for the coordinator's decision to go on or stop.
  std::optional<EarlyStopping> early_stopping;

  // The isolation a sweep whose --isolation is `sweep_isolation` gives this job. Under `auto`, a
  // job `held_to_limits` (a time limit or a memory cap applies to it) gets a process even where it
  // would run in a thread: a thread can be neither killed at its deadline nor capped.
  std::string IsolationUnder(const std::string& sweep_isolation, bool held_to_limits) const;

  nlohmann::json ToJson() const;
  // nullopt for text that is not a plan this build wrote.
  static std::optional<JobPlan> FromJson(const std::string& text);
};

// The plan of a resolved config under its experiment's limits (isolation, timeout_s, memory_bytes,
// max_attempts). The config must be valid (ParseGrid accepted it).
JobPlan MakeJobPlan(const nlohmann::json& config, const nlohmann::json& limits);

}  // namespace attnsweep
