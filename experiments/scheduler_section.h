// An experiment's `scheduler:` section: an early-stopping rule over the epochs of its train or
// next_event jobs (issue 32), as Ray Tune's ASHAScheduler and MedianStoppingRule do it, but with
// its decisions kept in the store:
//
//   scheduler: {type: asha, metric: val_auc, mode: max, grace: 1, max_epochs: 27, reduction: 3,
//               per: model.attention}
//
// type: asha (a job goes on past a rung only in the top 1/reduction of its group there) or median
// (a job whose figure at an epoch is worse than its group's median there stops). metric: the
// figure the task reports each epoch (the task's TaskSelection::epoch_metric); mode: max or min,
// which must agree with it (default: its own). grace (default 1): epochs before the first
// decision. max_epochs: what a job never stopped trains, and its learning-rate schedule's length:
// it sets train.epochs. reduction (asha, default 3). per: a key or a list of keys; jobs with the
// same values of them are judged together (default: the whole experiment is one group).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "experiments/grid_issue.h"
#include "experiments/job_plan.h"

namespace attnsweep {

struct SchedulerSection {
  std::optional<EarlyStopping> early_stopping;  // its group left empty: set per job
  // The key max_epochs sets (the task's TaskSelection::budget_key, train.epochs), and where.
  std::string budget_key;
  SourceMark max_epochs_mark;
  std::vector<GridIssue> errors;  // with any, early_stopping is empty
};

SchedulerSection ParseScheduler(const YAML::Node& node, const std::string& task);

// "<experiment>" or "<experiment>: model.attention=softmax, data.max_len=256": the group a job of
// resolved `config` is judged within.
std::string EarlyStoppingGroup(const std::string& experiment, const std::vector<std::string>& per,
                               const nlohmann::json& config);

}  // namespace attnsweep
