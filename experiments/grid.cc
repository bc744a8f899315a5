#include "experiments/grid.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "experiments/base/label_rules.h"
#include "experiments/base/units.h"
#include "experiments/config_schema.h"
#include "experiments/data/data_fingerprint.h"
#include "experiments/grid_ranges.h"
#include "experiments/grid_search.h"
#include "experiments/job_key.h"
#include "experiments/registry.h"
#include "experiments/scheduler_section.h"
#include "experiments/yaml_values.h"

namespace attnsweep {
namespace {

// The most points a grid expands to, all its experiments together. Each costs about 11 KB until
// its batch is stored (its config, key, plan and the points it was merged from): measured on the
// 2-core VM, a `run --dry-run` of 100,000 points took 6 s and 1.2 GB, of 1,000,000 (the limit
// before) 77 s and 11 GB. Larger sweeps are several batches.
constexpr size_t kMostGridPoints = 100000;

struct Assigned {
  nlohmann::json value;
  SourceMark mark;               // where the value was written; line 0 for schema defaults
  bool from_experiment = false;  // set inside the experiment, not by `defaults` or the schema
};

// One point of a grid: dotted key -> value.
using Point = std::map<std::string, Assigned>;
// The values one grid dimension takes; the grid is the product of its axes.
using Axis = std::vector<Point>;

// A key of the config found in a YAML mapping, with the node holding its value.
struct Leaf {
  std::string key;
  SourceMark key_mark;
  YAML::Node value;
};

class GridParser {
 public:
  explicit GridParser(GridParseResult* result) : result_(result) {}

  void Parse(const YAML::Node& root, const std::string& default_name);

 private:
  void Error(SourceMark mark, std::string message) {
    result_->errors.push_back({mark, std::move(message)});
  }
  void Warn(SourceMark mark, std::string message) {
    result_->grid.warnings.push_back({mark, std::move(message)});
  }

  // Walks a mapping whose keys are dotted config keys or sections ("model: {heads: 4}"), reporting
  // unknown keys, and returns the leaves.
  std::vector<Leaf> CollectLeaves(const YAML::Node& map, const std::string& prefix);
  void UnknownKey(const std::string& key, SourceMark mark);
  // Reports keys of the file's own structure (top level, experiment) that are not in `known`.
  void CheckStructureKeys(const YAML::Node& map, const std::vector<std::string>& known,
                          const std::string& what);

  // `defaults`, `params`, and each `include`/`exclude` entry: one scalar per key.
  Point ParseSettings(const YAML::Node& map, bool from_experiment, const char* where);
  std::optional<Assigned> ParseScalar(const YAML::Node& node, const ParamSpec& spec,
                                      bool from_experiment);

  // `grid`: each key a list of values (or, for model.attention, variants with their own sub-grids).
  std::vector<Axis> ParseGridAxes(const YAML::Node& map);
  Axis ParseConditionalVariants(const Leaf& leaf);
  std::vector<Axis> ParseZip(const YAML::Node& node);
  Axis ParseValueList(const Leaf& leaf, const ParamSpec& spec);

  std::vector<Point> Product(const std::vector<Axis>& axes, SourceMark where);
  void ParseExperiment(const YAML::Node& node, std::set<std::string>* names);
  // Schema defaults, then `defaults`, then `params`, then the point itself.
  Point Merge(const Point& params, const Point& point, const std::string& task,
              SourceMark task_mark);
  std::optional<nlohmann::json> Resolve(const Point& merged, const std::string& task);
  void AddJob(const std::string& experiment, nlohmann::json config, SourceMark where,
              const nlohmann::json& limits, const std::optional<EarlyStopping>& early_stopping);
  // A `scheduler:` sets its task's epochs to max_epochs in every job; the experiment must not set
  // them itself (which would be two answers to one question).
  void SetBudget(const SchedulerSection& scheduler, Point* params, const std::vector<Axis>& axes,
                 const std::vector<std::pair<Point, SourceMark>>& includes);
  nlohmann::json ParseLimits(const YAML::Node& node);

  GridParseResult* result_;
  Point defaults_;
  std::map<std::string, size_t> job_index_;  // job key -> index in grid.jobs
  size_t points_so_far_ = 0;                 // of the experiments parsed so far
};

void GridParser::UnknownKey(const std::string& key, SourceMark mark) {
  Error(mark, UnknownKeyMessage(key));
}

void GridParser::CheckStructureKeys(const YAML::Node& map, const std::vector<std::string>& known,
                                    const std::string& what) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = "unknown " + what + " '" + key + "' (known: " + JoinNames(known) + ")";
    std::string close = ClosestName(key, known);
    if (!close.empty()) message += "; did you mean '" + close + "'?";
    Error(MarkOf(it->first), message);
  }
}

std::vector<Leaf> GridParser::CollectLeaves(const YAML::Node& map, const std::string& prefix) {
  std::vector<Leaf> leaves;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const SourceMark mark = MarkOf(it->first);
    if (!it->first.IsScalar()) {
      Error(mark, "a key must be a plain name");
      continue;
    }
    const std::string key = prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
    if (FindParam(key) != nullptr) {
      leaves.push_back({key, mark, it->second});
    } else if (IsSectionPrefix(key) && it->second.IsMap()) {
      auto nested = CollectLeaves(it->second, key);
      leaves.insert(leaves.end(), nested.begin(), nested.end());
    } else if (IsSectionPrefix(key)) {
      Error(mark,
            "'" + key + "' is a section: give it a mapping of keys, such as '" + key + ": {...}'");
    } else {
      UnknownKey(key, mark);
    }
  }
  return leaves;
}

std::optional<Assigned> GridParser::ParseScalar(const YAML::Node& node, const ParamSpec& spec,
                                                bool from_experiment) {
  std::string error;
  auto value = NormalizeValue(node, spec, &error);
  if (!value) {
    Error(MarkOf(node), error);
    return std::nullopt;
  }
  return Assigned{*value, MarkOf(node), from_experiment};
}

Point GridParser::ParseSettings(const YAML::Node& map, bool from_experiment, const char* where) {
  Point point;
  if (!map.IsMap()) {
    Error(MarkOf(map), std::string("'") + where + "' must be a mapping of keys to values");
    return point;
  }
  for (const Leaf& leaf : CollectLeaves(map, "")) {
    if (leaf.key == "task") {
      Error(leaf.key_mark,
            "'task' is set by each experiment's own 'task:', not in '" + std::string(where) + "'");
      continue;
    }
    if (auto earlier = point.find(leaf.key); earlier != point.end()) {
      Error(leaf.key_mark, "'" + leaf.key + "' is set twice in '" + where + "' (first at line " +
                               std::to_string(earlier->second.mark.line) + ")");
      continue;
    }
    if (auto value = ParseScalar(leaf.value, *FindParam(leaf.key), from_experiment)) {
      point[leaf.key] = *value;
    }
  }
  return point;
}

Axis GridParser::ParseValueList(const Leaf& leaf, const ParamSpec& spec) {
  Axis axis;
  if (leaf.value.IsSequence()) {
    if (leaf.value.size() == 0) {
      Error(leaf.key_mark, "'" + leaf.key + "' has an empty list, so the grid has no points");
    }
    for (const auto& item : leaf.value) {
      if (auto value = ParseScalar(item, spec, true)) axis.push_back({{leaf.key, *value}});
    }
  } else if (leaf.value.IsScalar()) {
    if (auto value = ParseScalar(leaf.value, spec, true)) axis.push_back({{leaf.key, *value}});
  } else if (leaf.value.IsMap()) {
    // {range: [...]} or {geom: [...]}: every value it yields is reported at the mapping.
    std::string error;
    if (auto values = ExpandRange(leaf.value, spec, &error)) {
      for (auto& value : *values) {
        axis.push_back({{leaf.key, Assigned{std::move(value), MarkOf(leaf.value), true}}});
      }
    } else {
      Error(MarkOf(leaf.value), error);
    }
  } else {
    Error(MarkOf(leaf.value), "'" + leaf.key + "' in a grid takes a list of values or a range");
  }
  return axis;
}

Axis GridParser::ParseConditionalVariants(const Leaf& leaf) {
  // model.attention: {softmax: {}, performer: {model.performer.features: [64, 256]}}
  Axis axis;
  const ParamSpec& spec = *FindParam("model.attention");
  for (auto it = leaf.value.begin(); it != leaf.value.end(); ++it) {
    auto variant = ParseScalar(it->first, spec, true);
    if (!variant) continue;
    std::vector<Axis> sub_axes;
    if (it->second.IsMap()) {
      sub_axes = ParseGridAxes(it->second);
      // A key of another variant under this one would be dropped from every job: say so.
      const std::string name = variant->value.get<std::string>();
      for (const Axis& sub_axis : sub_axes) {
        for (const auto& [key, assigned] : sub_axis.empty() ? Point() : sub_axis.front()) {
          const ParamSpec* key_spec = FindParam(key);
          if (key_spec != nullptr && !key_spec->variant.empty() && key_spec->variant != name) {
            Error(assigned.mark, "'" + key + "' is read by variant '" + key_spec->variant +
                                     "', not '" + name + "': move it under " + key_spec->variant);
          }
        }
      }
    } else if (!it->second.IsNull()) {
      Error(MarkOf(it->second), "variant '" + variant->value.get<std::string>() +
                                    "' takes a mapping of its own grid keys, or {}");
    }
    for (Point& point : Product(sub_axes, MarkOf(it->first))) {
      if (point.count("model.attention")) {
        Error(point["model.attention"].mark, "model.attention cannot vary inside a variant");
      }
      point["model.attention"] = *variant;
      axis.push_back(std::move(point));
    }
  }
  if (axis.empty()) Error(leaf.key_mark, "'model.attention' names no variants");
  return axis;
}

std::vector<Axis> GridParser::ParseGridAxes(const YAML::Node& map) {
  std::vector<Axis> axes;
  if (!map.IsMap()) {
    Error(MarkOf(map), "'grid' must be a mapping of keys to lists of values");
    return axes;
  }
  for (const Leaf& leaf : CollectLeaves(map, "")) {
    if (leaf.key == "task") {
      Error(leaf.key_mark, "'task' cannot vary in a grid: write one experiment per task");
      continue;
    }
    if (leaf.key == "model.attention" && leaf.value.IsMap()) {
      axes.push_back(ParseConditionalVariants(leaf));
    } else {
      axes.push_back(ParseValueList(leaf, *FindParam(leaf.key)));
    }
  }
  return axes;
}

std::vector<Axis> GridParser::ParseZip(const YAML::Node& node) {
  // One group ({a: [..], b: [..]}) or a list of groups; each group's lists vary together.
  std::vector<YAML::Node> groups;
  if (node.IsSequence()) {
    for (const auto& g : node) groups.push_back(g);
  } else {
    groups.push_back(node);
  }
  std::vector<Axis> axes;
  for (const auto& group : groups) {
    if (!group.IsMap()) {
      Error(MarkOf(group), "'zip' takes a mapping of keys to lists of equal length");
      continue;
    }
    const size_t errors_before = result_->errors.size();
    std::vector<std::pair<Leaf, Axis>> columns;
    for (const Leaf& leaf : CollectLeaves(group, "")) {
      if (!leaf.value.IsSequence() && !leaf.value.IsMap()) {
        Error(MarkOf(leaf.value), "'" + leaf.key + "' in 'zip' takes a list of values or a range");
        continue;
      }
      columns.emplace_back(leaf, ParseValueList(leaf, *FindParam(leaf.key)));
    }
    // A column cut short by a bad value or range would add a misleading length mismatch.
    if (columns.empty() || result_->errors.size() != errors_before) continue;
    const size_t length = columns[0].second.size();
    bool equal = true;
    for (const auto& [leaf, values] : columns) {
      if (values.size() != length) {
        Error(leaf.key_mark, "'zip' lists must have equal lengths: '" + columns[0].first.key +
                                 "' has " + std::to_string(length) + " values, '" + leaf.key +
                                 "' has " + std::to_string(values.size()));
        equal = false;
      }
    }
    if (!equal) continue;
    Axis axis(length);
    for (const auto& column : columns) {
      for (size_t i = 0; i < length; ++i) {
        for (const auto& [key, value] : column.second[i]) axis[i][key] = value;
      }
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::vector<Point> GridParser::Product(const std::vector<Axis>& axes, SourceMark where) {
  size_t total = 1;
  for (const Axis& axis : axes) {
    total *= axis.size();
    if (total > kMostGridPoints) {
      Error(where, "the grid expands to more than " + std::to_string(kMostGridPoints) +
                       " points; split it into several batches");
      return {};
    }
  }
  std::vector<Point> points = {Point{}};
  for (const Axis& axis : axes) {
    std::vector<Point> next;
    next.reserve(points.size() * axis.size());
    for (const Point& base : points) {
      for (const Point& extra : axis) {
        Point merged = base;
        for (const auto& [key, value] : extra) {
          if (merged.count(key)) {
            Error(value.mark, "'" + key + "' is set by two grid dimensions");
            return {};
          }
          merged[key] = value;
        }
        next.push_back(std::move(merged));
      }
    }
    points = std::move(next);
  }
  return points;
}

Point GridParser::Merge(const Point& params, const Point& point, const std::string& task,
                        SourceMark task_mark) {
  Point merged;
  for (const auto& spec : ConfigSchema()) {
    if (spec.key != "task") merged[spec.key] = Assigned{ParseDefault(spec), {}, false};
  }
  for (const Point* layer : std::initializer_list<const Point*>{&defaults_, &params, &point}) {
    for (const auto& [key, value] : *layer) merged[key] = value;
  }
  merged["task"] = Assigned{task, task_mark, true};
  return merged;
}

std::optional<nlohmann::json> GridParser::Resolve(const Point& merged, const std::string& task) {
  const std::string variant = merged.at("model.attention").value.get<std::string>();
  nlohmann::json config = nlohmann::json::object();
  bool ok = true;
  for (const auto& [key, assigned] : merged) {
    const ParamSpec& spec = *FindParam(key);
    const bool condition = ParamConditionHolds(
        spec, task, [&](const std::string& key) { return merged.at(key).value.dump(); });
    const bool at_default = spec.omitted_at_default && assigned.value == ParseDefault(spec);
    if (ParamAppliesTo(spec, task, variant) && condition && !at_default) {
      nlohmann::json* slot = &config;
      size_t start = 0;
      for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
        slot = &(*slot)[key.substr(start, dot - start)];
        start = dot + 1;
      }
      (*slot)[key.substr(start)] = assigned.value;
    } else if (assigned.from_experiment && !ParamAppliesToTask(spec, task)) {
      Error(assigned.mark, "'" + key + "' is not read by task '" + task +
                               "' (it is read by: " + JoinNames(spec.tasks) + ")");
      ok = false;
    }
  }
  // Settings that are valid alone but not together are reported where the user wrote one of them.
  auto written_at = [&](const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
      if (merged.at(key).mark.line > 0) return merged.at(key).mark;
    }
    return merged.at("task").mark;
  };
  if (config.contains("model")) {
    const int64_t d_model = config["model"]["d_model"].get<int64_t>();
    const int64_t heads = config["model"]["heads"].get<int64_t>();
    if (d_model % heads != 0) {
      Error(written_at({"model.heads", "model.d_model"}),
            "model.d_model (" + std::to_string(d_model) + ") must be a multiple of model.heads (" +
                std::to_string(heads) + ")");
      ok = false;
    }
  }
  // The task's and the variant's own checks.
  std::vector<ConfigProblem> problems;
  const TaskDefinition* task_entry = FindTask(task);
  if (task_entry != nullptr && task_entry->check) problems = task_entry->check(config);
  const VariantDefinition* variant_entry =
      config.contains("model") ? FindVariant(variant) : nullptr;
  if (variant_entry != nullptr && variant_entry->check) {
    for (auto& problem : variant_entry->check(config)) problems.push_back(std::move(problem));
  }
  for (const ConfigProblem& problem : problems) {
    Error(written_at(problem.keys), problem.message);
    ok = false;
  }
  if (config.contains("data") && config["data"].value("source", "") == "csv" &&
      config["data"].value("path", "").empty()) {
    Error(written_at({"data.source", "data.path"}), "data.source is csv but data.path is not set");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return config;
}

nlohmann::json GridParser::ParseLimits(const YAML::Node& node) {
  nlohmann::json limits = nlohmann::json::object();
  if (!node.IsMap()) {
    Error(MarkOf(node), "'limits' takes a mapping: isolation, timeout, memory, max_attempts");
    return limits;
  }
  static const std::vector<std::string> kLimitKeys = {"isolation", "timeout", "memory",
                                                      "max_attempts"};
  CheckStructureKeys(node, kLimitKeys, "limit");
  auto scalar = [&](const char* key) -> std::optional<std::string> {
    if (!node[key]) return std::nullopt;
    if (!node[key].IsScalar()) {
      Error(MarkOf(node[key]), std::string("'limits.") + key + "' takes a single value");
      return std::nullopt;
    }
    return node[key].Scalar();
  };
  if (auto isolation = scalar("isolation")) {
    if (*isolation == "process" || *isolation == "host" || *isolation == "inproc" ||
        *isolation == "auto") {
      limits["isolation"] = *isolation;
    } else {
      Error(MarkOf(node["isolation"]),
            "'limits.isolation' must be process, host, inproc or auto, "
            "got '" +
                *isolation + "'");
    }
  }
  if (auto timeout = scalar("timeout")) {
    if (const std::string problem = JobTimeoutProblem(*timeout); problem.empty()) {
      limits["timeout_s"] = *ParseDurationSeconds(*timeout);
    } else {
      Error(MarkOf(node["timeout"]), "'limits.timeout': " + problem);
    }
  }
  if (limits.contains("timeout_s") && limits.value("isolation", "") == "inproc") {
    Error(MarkOf(node["timeout"]),
          "'limits.timeout': inproc jobs cannot be timed out: they run in the worker's own "
          "thread, which no kill can end alone; use isolation process or host with a timeout");
  }
  if (auto memory = scalar("memory")) {
    if (const std::string problem = JobMemoryCapProblem(*memory); problem.empty()) {
      limits["memory_bytes"] = *ParseSizeBytes(*memory);
    } else {
      Error(MarkOf(node["memory"]), "'limits.memory': " + problem);
    }
  }
  if (auto attempts = scalar("max_attempts")) {
    char* end = nullptr;
    const long n = std::strtol(attempts->c_str(), &end, 10);
    if (*end == '\0' && n >= 1 && n <= 100) {
      limits["max_attempts"] = n;
    } else {
      Error(MarkOf(node["max_attempts"]),
            "'limits.max_attempts' must be an integer from 1 to 100, got '" + *attempts + "'");
    }
  }
  return limits;
}

void GridParser::AddJob(const std::string& experiment, nlohmann::json config, SourceMark where,
                        const nlohmann::json& limits,
                        const std::optional<EarlyStopping>& early_stopping) {
  std::string fingerprint, error;
  if (!DataFingerprint(config, &fingerprint, &error)) {
    Error(where, error);
    return;
  }
  const std::string key = early_stopping
                              ? ComputeJobKey(config, fingerprint, early_stopping->RuleJson())
                              : ComputeJobKey(config, fingerprint);
  auto found = job_index_.find(key);
  if (found != job_index_.end()) {
    const std::string& first = result_->grid.jobs[found->second].experiment;
    if (first != experiment) {
      Warn(where, "experiment '" + experiment + "' repeats a job of experiment '" + first +
                      "'; it runs once, under '" + first + "'");
    }
    return;
  }
  job_index_[key] = result_->grid.jobs.size();
  JobPlan plan = MakeJobPlan(config, limits);
  if (early_stopping) {
    plan.early_stopping = early_stopping;
    plan.early_stopping->group = EarlyStoppingGroup(experiment, early_stopping->per, config);
  }
  result_->grid.jobs.push_back(
      {experiment, std::move(config), key, limits, std::move(plan), fingerprint});
}

void GridParser::SetBudget(const SchedulerSection& scheduler, Point* params,
                           const std::vector<Axis>& axes,
                           const std::vector<std::pair<Point, SourceMark>>& includes) {
  const std::string& key = scheduler.budget_key;
  const int64_t max_epochs = scheduler.early_stopping->rule.max_epochs;
  auto refuse = [&](const Point& point) {
    auto found = point.find(key);
    if (found == point.end()) return;
    Error(found->second.mark, "'" + key + "' is set by 'scheduler.max_epochs' (" +
                                  std::to_string(max_epochs) +
                                  ") in an experiment with a scheduler: remove it here");
  };
  refuse(*params);
  for (const Axis& axis : axes) {
    for (const Point& point : axis) refuse(point);
  }
  for (const auto& include : includes) refuse(include.first);
  (*params)[key] = Assigned{max_epochs, scheduler.max_epochs_mark, true};
}

void GridParser::ParseExperiment(const YAML::Node& node, std::set<std::string>* names) {
  const SourceMark where = MarkOf(node);
  if (!node.IsMap()) {
    Error(where, "each experiment must be a mapping with at least 'name' and 'task'");
    return;
  }
  static const std::vector<std::string> kExperimentKeys = {
      "name",      "task",    "params",  "grid",   "zip",        "search",
      "scheduler", "include", "exclude", "limits", "description"};
  CheckStructureKeys(node, kExperimentKeys, "experiment key");
  std::string name;
  if (!node["name"] || !node["name"].IsScalar() || node["name"].Scalar().empty()) {
    Error(where, "experiment has no 'name'");
  } else {
    name = node["name"].Scalar();
    if (const std::string problem = NameProblem(name); !problem.empty()) {
      Error(MarkOf(node["name"]),
            "experiment name '" + EscapeControlCharacters(name) + "': " + problem);
    } else if (!names->insert(name).second) {
      Error(MarkOf(node["name"]), "experiment name '" + name + "' is used twice");
    }
  }
  std::string task;
  SourceMark task_mark = where;
  if (!node["task"]) {
    Error(where, "experiment '" + name + "' has no 'task' (known: " + JoinNames(TaskNames()) + ")");
  } else {
    task_mark = MarkOf(node["task"]);
    std::string error;
    if (auto value = NormalizeValue(node["task"], *FindParam("task"), &error)) {
      task = value->get<std::string>();
    } else {
      Error(task_mark, error);
    }
  }

  const size_t errors_before = result_->errors.size();
  const nlohmann::json limits =
      node["limits"] ? ParseLimits(node["limits"]) : nlohmann::json::object();
  Point params = node["params"] ? ParseSettings(node["params"], true, "params") : Point{};
  std::vector<Axis> axes;
  if (node["grid"]) axes = ParseGridAxes(node["grid"]);
  if (node["zip"]) {
    auto zipped = ParseZip(node["zip"]);
    axes.insert(axes.end(), zipped.begin(), zipped.end());
  }
  if (node["search"]) {
    // The samples are one more dimension: every point of the grid with each of them.
    SearchSection search = ParseSearch(node["search"]);
    for (auto& error : search.errors) Error(error.mark, std::move(error.message));
    Axis samples;
    for (const auto& sample : search.samples) {
      Point point;
      for (const SampledValue& drawn : sample) point[drawn.key] = {drawn.value, drawn.mark, true};
      samples.push_back(std::move(point));
    }
    if (!samples.empty()) axes.push_back(std::move(samples));
  }
  std::vector<std::pair<Point, SourceMark>> includes, excludes;
  for (const char* which : {"include", "exclude"}) {
    if (!node[which]) continue;
    if (!node[which].IsSequence()) {
      Error(MarkOf(node[which]), std::string("'") + which + "' takes a list of mappings");
      continue;
    }
    auto& target = std::string(which) == "include" ? includes : excludes;
    for (const auto& entry : node[which]) {
      target.emplace_back(ParseSettings(entry, true, which), MarkOf(entry));
    }
  }
  if (task.empty()) return;
  std::optional<EarlyStopping> early_stopping;
  if (node["scheduler"]) {
    SchedulerSection scheduler = ParseScheduler(node["scheduler"], task);
    for (auto& error : scheduler.errors) Error(error.mark, std::move(error.message));
    early_stopping = std::move(scheduler.early_stopping);
    if (early_stopping) SetBudget(scheduler, &params, axes, includes);
  }
  // With problems already found the jobs are not made, but the points are still resolved, so the
  // problems only resolution finds (settings valid alone but not together) come out at once too.
  const bool had_problems = result_->errors.size() != errors_before;

  std::vector<Point> points;
  if (!axes.empty() || includes.empty()) points = Product(axes, where);
  const bool within = points_so_far_ <= kMostGridPoints;
  points_so_far_ += points.size() + includes.size();
  if (points_so_far_ > kMostGridPoints) {
    if (within) {
      Error(where, "with this experiment the grid expands to more than " +
                       std::to_string(kMostGridPoints) +
                       " points in all; split it into several batches");
    }
    return;
  }
  std::vector<size_t> exclude_hits(excludes.size(), 0);
  std::vector<std::pair<Point, SourceMark>> kept;
  for (const Point& point : points) {
    Point merged = Merge(params, point, task, task_mark);
    bool excluded = false;
    for (size_t e = 0; e < excludes.size(); ++e) {
      bool all_match = true;
      for (const auto& [key, value] : excludes[e].first) {
        all_match = all_match && merged.at(key).value == value.value;
      }
      if (all_match) {
        ++exclude_hits[e];
        excluded = true;
      }
    }
    if (!excluded) kept.emplace_back(std::move(merged), where);
  }
  for (size_t e = 0; e < excludes.size(); ++e) {
    if (exclude_hits[e] == 0) Warn(excludes[e].second, "this 'exclude' entry matches no point");
  }
  for (const auto& [point, mark] : includes) {
    kept.emplace_back(Merge(params, point, task, task_mark), mark);
  }
  if (kept.empty()) {
    // Not when the points could not be made (the grid was too large, a key was set twice): that
    // problem is said already, and "every point is excluded" would be a second, false one.
    if (result_->errors.size() == errors_before) {
      Error(where, "experiment '" + name + "' has no jobs: every point of its grid is excluded");
    }
    return;
  }
  for (const auto& [merged, mark] : kept) {
    auto config = Resolve(merged, task);
    if (config && !had_problems) AddJob(name, std::move(*config), mark, limits, early_stopping);
  }
}

void GridParser::Parse(const YAML::Node& root, const std::string& default_name) {
  if (!root.IsMap()) {
    Error(MarkOf(root),
          "a grid file is a mapping with 'experiments' (and optionally 'name', "
          "'store', 'defaults')");
    return;
  }
  static const std::vector<std::string> kTopKeys = {"name",        "store",       "defaults",
                                                    "experiments", "description", "tags"};
  CheckStructureKeys(root, kTopKeys, "top-level key");
  Grid& grid = result_->grid;
  grid.name = root["name"] && root["name"].IsScalar() ? root["name"].Scalar() : default_name;
  if (const std::string problem = NameProblem(grid.name); !problem.empty()) {
    Error(root["name"] ? MarkOf(root["name"]) : MarkOf(root),
          "'name' '" + EscapeControlCharacters(grid.name) + "': " + problem);
  }
  if (root["store"]) {
    if (root["store"].IsScalar()) {
      grid.store_path = root["store"].Scalar();
    } else {
      Error(MarkOf(root["store"]), "'store' must be a file path");
    }
  }
  if (root["description"]) {
    if (root["description"].IsScalar()) {
      grid.description = root["description"].Scalar();
    } else {
      Error(MarkOf(root["description"]), "'description' must be text");
    }
  }
  if (const YAML::Node tags = root["tags"]) {
    const bool listed =
        tags.IsSequence() && std::all_of(tags.begin(), tags.end(), [](const auto& t) {
          return t.IsScalar() && !t.Scalar().empty();
        });
    if (tags.IsScalar() && !tags.Scalar().empty()) {
      grid.tags.push_back(tags.Scalar());
    } else if (listed) {
      for (const auto& tag : tags) grid.tags.push_back(tag.Scalar());
    } else {
      Error(MarkOf(tags), "'tags' must be a list of words, e.g. tags: [baseline, cpu]");
    }
    // As `attnsweep tag` takes them: one word each.
    for (size_t i = 0; i < grid.tags.size(); ++i) {
      if (const std::string problem = TagProblem(grid.tags[i]); !problem.empty()) {
        Error(MarkOf(tags.IsSequence() ? tags[i] : tags),
              "tag '" + EscapeControlCharacters(grid.tags[i]) + "': " + problem +
                  ", e.g. tags: [baseline, cpu]");
      }
    }
  }
  if (root["defaults"]) defaults_ = ParseSettings(root["defaults"], false, "defaults");

  const YAML::Node experiments = root["experiments"];
  if (!experiments || !experiments.IsSequence() || experiments.size() == 0) {
    Error(experiments ? MarkOf(experiments) : MarkOf(root),
          "the grid has no experiments: add 'experiments:' with a list of experiments");
    return;
  }
  std::set<std::string> names;
  for (const auto& experiment : experiments) ParseExperiment(experiment, &names);
}

// One message per place: a bad value shared by many points is reported once.
void SortAndDeduplicate(std::vector<GridIssue>* issues) {
  std::stable_sort(issues->begin(), issues->end(), [](const GridIssue& a, const GridIssue& b) {
    return std::tie(a.mark.line, a.mark.column) < std::tie(b.mark.line, b.mark.column);
  });
  std::set<std::tuple<int, int, std::string>> seen;
  std::vector<GridIssue> unique;
  for (auto& issue : *issues) {
    if (seen.insert({issue.mark.line, issue.mark.column, issue.message}).second) {
      unique.push_back(std::move(issue));
    }
  }
  *issues = std::move(unique);
}

}  // namespace

namespace {
// The line and column (1-based) of the first byte that breaks UTF-8, if any: such text would be
// stored (a batch name, a description) and then break every JSON or HTML view of it.
std::optional<std::pair<int, int>> FirstInvalidUtf8(const std::string& text) {
  int line = 1, column = 1;
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const size_t length = byte < 0x80           ? 1
                          : (byte >> 5) == 0x6  ? 2
                          : (byte >> 4) == 0xE  ? 3
                          : (byte >> 3) == 0x1E ? 4
                                                : 0;
    bool valid = length > 0 && i + length <= text.size() && !(length == 2 && byte < 0xC2);
    for (size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!valid) return std::make_pair(line, column);
    if (byte == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
  return std::nullopt;
}

// Where a line's indentation holds a tab (line and column, 1-based): YAML indents with spaces, and
// yaml-cpp's own word for it ("illegal block entry", "bad file") names nothing a user would fix.
std::optional<std::pair<int, int>> FirstTabInIndentation(const std::string& text) {
  int line = 1;
  for (size_t start = 0; start < text.size(); ++line) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    for (size_t i = start; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
      if (text[i] == '\t') return std::make_pair(line, static_cast<int>(i - start) + 1);
    }
    start = end + 1;
  }
  return std::nullopt;
}

// YAML nodes a grid may hold, counting each use of an alias (*name) as a copy of what it names.
// A real grid holds a few thousand (a 10,000-value list is the longest a key takes); nine aliases
// of nine, nine levels deep, are 387 million in 400 bytes (an alias bomb), which every walk over
// the tree would expand.
constexpr size_t kMostYamlNodes = 200000;

// Keys written twice in one mapping: yaml-cpp keeps both, and what each means downstream is a
// guess (the grid reads one, the checks the other). And the tree's size, aliases expanded, held to
// kMostYamlNodes: this walk is the first, and stops there.
void FindDuplicateKeys(const YAML::Node& node, int depth, std::vector<GridIssue>* errors,
                       size_t* visited) {
  if (*visited > kMostYamlNodes) return;
  if (++*visited > kMostYamlNodes) {
    errors->push_back({MarkOf(node), "the grid holds more than " + std::to_string(kMostYamlNodes) +
                                         " YAML values (each alias, *name, counted as a copy of "
                                         "what it names): a grid needs a few thousand; write "
                                         "ranges ({range: ...}) instead of long lists or aliases "
                                         "of aliases"});
    return;
  }
  if (depth > 64) {
    errors->push_back({MarkOf(node), "nested more than 64 levels deep: a grid needs a handful"});
    return;
  }
  if (node.IsMap()) {
    std::map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar()) {
        const std::string key = it->first.Scalar();
        const auto [seen, fresh] = first_line.emplace(key, it->first.Mark().line + 1);
        if (!fresh) {
          errors->push_back({MarkOf(it->first),
                             "'" + key + "' is written twice in one mapping " + "(first on line " +
                                 std::to_string(seen->second) + "): write it once"});
        }
      }
      FindDuplicateKeys(it->second, depth + 1, errors, visited);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) FindDuplicateKeys(item, depth + 1, errors, visited);
  }
}
}  // namespace

GridParseResult ParseGrid(const std::string& yaml_text, const std::string& default_name,
                          const std::vector<GridOverride>& overrides) {
  GridParseResult result;
  if (const auto bad = FirstInvalidUtf8(yaml_text)) {
    result.errors.push_back({{bad->first, bad->second},
                             "not UTF-8 text (an invalid byte here): save the grid as UTF-8"});
    return result;
  }
  if (const auto tab = FirstTabInIndentation(yaml_text)) {
    result.errors.push_back(
        {{tab->first, tab->second}, "a tab in the indentation: YAML indents with spaces only"});
    return result;
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    result.errors.push_back({{e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg});
    return result;
  } catch (const YAML::Exception& e) {
    result.errors.push_back({{e.mark.line + 1, e.mark.column + 1},
                             std::string("the YAML reader gave up: ") + e.what()});
    return result;
  }
  size_t visited = 0;
  FindDuplicateKeys(root, 0, &result.errors, &visited);
  if (!result.errors.empty()) return result;
  for (auto& problem : ApplyGridOverrides(root, overrides)) {
    result.errors.push_back({SourceMark{}, std::move(problem)});
  }
  if (!result.errors.empty()) return result;
  GridParser parser(&result);
  parser.Parse(root, default_name);
  SortAndDeduplicate(&result.errors);
  SortAndDeduplicate(&result.grid.warnings);
  if (!result.ok()) result.grid.jobs.clear();
  return result;
}

}  // namespace attnsweep
