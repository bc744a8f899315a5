#include "experiments/scheduler_section.h"

#include <algorithm>
#include <cstdint>

#include "experiments/config_keys.h"
#include "experiments/config_schema.h"
#include "experiments/registry.h"
#include "experiments/yaml_values.h"

namespace attnsweep {
namespace {

constexpr const char* kKeys[] = {"type",       "metric",    "mode", "grace",
                                 "max_epochs", "reduction", "per"};
// Far more epochs than any study here trains; a larger number is a typo.
constexpr int64_t kMaxEpochs = 100000;

class SchedulerParser {
 public:
  SchedulerSection Parse(const YAML::Node& node, const std::string& task_name) {
    if (!node.IsMap()) {
      Error(MarkOf(node),
            "'scheduler' takes a mapping, e.g. {type: asha, metric: val_auc, mode: max, grace: "
            "1, max_epochs: 27, reduction: 3, per: model.attention}");
      return std::move(section_);
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::none_of(std::begin(kKeys), std::end(kKeys),
                       [&](const char* k) { return key == k; })) {
        Error(MarkOf(it->first), "unknown scheduler key '" + key +
                                     "' (known: type, metric, mode, grace, max_epochs, reduction, "
                                     "per)");
      }
    }
    const TaskDefinition* task = FindTask(task_name);
    if (task == nullptr) return std::move(section_);  // the task's own error is said already
    const TaskSelection& selection = task->selection;
    if (selection.epoch_metric.empty() || selection.budget_key.empty()) {
      std::vector<std::string> trained;
      for (const TaskDefinition& t : Tasks()) {
        if (!t.selection.epoch_metric.empty()) trained.push_back(t.name);
      }
      Error(MarkOf(node), "task '" + task_name +
                              "' has no epochs to stop early: 'scheduler' applies to the tasks " +
                              JoinNames(trained));
      return std::move(section_);
    }
    EarlyStopping stopping;
    const std::string type = Text(node, "type", "");
    if (type == "asha") {
      stopping.rule.type = RungRule::Type::kAsha;
    } else if (type == "median") {
      stopping.rule.type = RungRule::Type::kMedian;
    } else {
      Error(node["type"] ? MarkOf(node["type"]) : MarkOf(node),
            type.empty() ? "'scheduler' needs 'type': asha or median"
                         : "'scheduler.type' must be asha or median, got '" + type + "'");
    }
    stopping.metric = Text(node, "metric", "");
    if (stopping.metric != selection.epoch_metric) {
      Error(node["metric"] ? MarkOf(node["metric"]) : MarkOf(node),
            (stopping.metric.empty()
                 ? std::string("'scheduler' needs 'metric'")
                 : "'scheduler.metric' " + stopping.metric + " is not a figure task '" + task_name +
                       "' reports each epoch") +
                ": use " + selection.epoch_metric);
    }
    const std::string natural = selection.higher_is_better ? "max" : "min";
    const std::string mode = Text(node, "mode", natural);
    if (mode != "max" && mode != "min") {
      Error(MarkOf(node["mode"]), "'scheduler.mode' must be max or min, got '" + mode + "'");
    } else if (mode != natural) {
      Error(MarkOf(node["mode"]),
            "'scheduler.mode' " + mode + " would keep the worst jobs: " + selection.epoch_metric +
                " is better " + (natural == "max" ? "higher (mode: max)" : "lower (mode: min)"));
    }
    stopping.rule.higher_is_better = selection.higher_is_better;
    stopping.rule.grace = Integer(node, "grace", 1, 1, kMaxEpochs).value_or(1);
    if (!node["max_epochs"]) {
      Error(MarkOf(node),
            "'scheduler' needs 'max_epochs': what a job never stopped trains (it "
            "sets " +
                selection.budget_key + ")");
    } else if (auto max_epochs = Integer(node, "max_epochs", 0, 1, kMaxEpochs)) {
      stopping.rule.max_epochs = *max_epochs;
      section_.max_epochs_mark = MarkOf(node["max_epochs"]);
      if (*max_epochs <= stopping.rule.grace) {
        Error(MarkOf(node["max_epochs"]),
              "'scheduler.max_epochs' (" + std::to_string(*max_epochs) + ") must exceed 'grace' (" +
                  std::to_string(stopping.rule.grace) + "): no job would ever be judged");
      }
    }
    if (stopping.rule.type == RungRule::Type::kMedian && node["reduction"]) {
      Error(MarkOf(node["reduction"]), "'scheduler.reduction' applies to type asha only");
    }
    stopping.rule.reduction = Integer(node, "reduction", 3, 2, 1000).value_or(3);
    ParsePer(node["per"], task_name, &stopping.per);
    section_.budget_key = selection.budget_key;
    if (section_.errors.empty()) section_.early_stopping = std::move(stopping);
    return std::move(section_);
  }

 private:
  void Error(SourceMark mark, std::string message) {
    section_.errors.push_back({mark, std::move(message)});
  }

  std::string Text(const YAML::Node& node, const char* key, const std::string& fallback) {
    if (!node[key]) return fallback;
    if (!node[key].IsScalar()) {
      Error(MarkOf(node[key]), std::string("'scheduler.") + key + "' must be a word");
      return fallback;
    }
    return node[key].Scalar();
  }

  std::optional<int64_t> Integer(const YAML::Node& node, const char* key, int64_t fallback,
                                 int64_t low, int64_t high) {
    if (!node[key]) return fallback;
    int64_t value = 0;
    if (!node[key].IsScalar() || !YAML::convert<int64_t>::decode(node[key], value) || value < low ||
        value > high) {
      Error(MarkOf(node[key]), std::string("'scheduler.") + key + "' must be an integer from " +
                                   std::to_string(low) + " to " + std::to_string(high));
      return std::nullopt;
    }
    return value;
  }

  void ParsePer(const YAML::Node& per, const std::string& task, std::vector<std::string>* keys) {
    if (!per) return;
    std::vector<YAML::Node> items;
    if (per.IsScalar()) {
      items.push_back(per);
    } else if (per.IsSequence()) {
      for (const auto& item : per) items.push_back(item);
    }
    if (items.empty()) {
      Error(MarkOf(per), "'scheduler.per' takes a key or a list of keys, e.g. model.attention");
      return;
    }
    for (const YAML::Node& item : items) {
      const std::string key = item.IsScalar() ? item.Scalar() : "";
      const ParamSpec* spec = key.empty() ? nullptr : FindParam(key);
      if (spec == nullptr) {
        Error(MarkOf(item), key.empty() ? "'scheduler.per' lists keys, one word each"
                                        : "'scheduler.per': " + UnknownKeyMessage(key));
      } else if (key != "task" && !ParamAppliesToTask(*spec, task)) {
        Error(MarkOf(item), "'scheduler.per': '" + key + "' is not read by task '" + task + "'");
      } else if (std::find(keys->begin(), keys->end(), key) != keys->end()) {
        Error(MarkOf(item), "'scheduler.per' lists '" + key + "' twice");
      } else {
        keys->push_back(key);
      }
    }
  }

  SchedulerSection section_;
};

}  // namespace

SchedulerSection ParseScheduler(const YAML::Node& node, const std::string& task) {
  return SchedulerParser().Parse(node, task);
}

std::string EarlyStoppingGroup(const std::string& experiment, const std::vector<std::string>& per,
                               const nlohmann::json& config) {
  std::string group = experiment;
  for (size_t i = 0; i < per.size(); ++i) {
    const nlohmann::json value = ConfigValue(config, per[i]);
    group += (i == 0 ? ": " : ", ") + per[i] + "=" +
             (value.is_string() ? value.get<std::string>()
              : value.is_null() ? "-"
                                : value.dump());
  }
  return group;
}

}  // namespace attnsweep
