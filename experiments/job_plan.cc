#include "experiments/job_plan.h"

#include "experiments/registry.h"

namespace attnsweep {
namespace {

std::string Label(const nlohmann::json& config) {
  std::string label;
  auto add = [&label](const std::string& text) { label += (label.empty() ? "" : ", ") + text; };
  if (config.contains("model") && config["model"].is_object()) {
    add(config["model"].value("attention", std::string()));
  }
  if (config.contains("data") && config["data"].is_object() && config["data"].contains("max_len")) {
    add("max_len=" + config["data"]["max_len"].dump());
  }
  add("seed=" + config.value("seed", nlohmann::json(0)).dump());
  return label;
}

template <typename T>
void Put(nlohmann::json* out, const char* name, const std::optional<T>& value) {
  if (value) (*out)[name] = *value;
}

template <typename T>
std::optional<T> Get(const nlohmann::json& in, const char* name) {
  if (!in.contains(name) || in[name].is_null()) return std::nullopt;
  return in[name].get<T>();
}

// A config stored by an older build may lack keys today's entries read: what cannot be computed
// from it keeps its default.
template <typename T, typename Compute>
void TryAssign(T* slot, Compute compute) {
  try {
    *slot = compute();
  } catch (const nlohmann::json::exception&) {
  }
}

}  // namespace

nlohmann::json EarlyStopping::RuleJson() const {
  return {{"type", rule.type == RungRule::Type::kAsha ? "asha" : "median"},
          {"metric", metric},
          {"mode", rule.higher_is_better ? "max" : "min"},
          {"grace", rule.grace},
          {"max_epochs", rule.max_epochs},
          {"reduction", rule.reduction},
          {"per", per}};
}

nlohmann::json EarlyStopping::ToJson() const {
  nlohmann::json out = RuleJson();
  out["group"] = group;
  return out;
}

std::optional<EarlyStopping> EarlyStopping::FromJson(const nlohmann::json& in) {
  try {
    EarlyStopping stopping;
    const std::string type = in.at("type").get<std::string>();
    if (type != "asha" && type != "median") return std::nullopt;
    stopping.rule.type = type == "asha" ? RungRule::Type::kAsha : RungRule::Type::kMedian;
    stopping.metric = in.at("metric").get<std::string>();
    stopping.rule.higher_is_better = in.at("mode").get<std::string>() == "max";
    stopping.rule.grace = in.at("grace").get<int64_t>();
    stopping.rule.max_epochs = in.at("max_epochs").get<int64_t>();
    stopping.rule.reduction = in.at("reduction").get<int64_t>();
    stopping.per = in.at("per").get<std::vector<std::string>>();
    stopping.group = in.value("group", std::string());
    if (stopping.rule.grace < 1 || stopping.rule.reduction < 2) return std::nullopt;
    return stopping;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string JobPlan::IsolationUnder(const std::string& sweep_isolation, bool held_to_limits) const {
  const std::string chosen = isolation.value_or(sweep_isolation);
  if (chosen != "auto") return chosen;
  return held_to_limits && default_isolation == "inproc" ? "process" : default_isolation;
}

nlohmann::json JobPlan::ToJson() const {
  nlohmann::json out = {{"task", task},
                        {"label", label},
                        {"default_isolation", default_isolation},
                        {"needs_node", needs_node},
                        {"data", data},
                        {"cost_group", cost_group},
                        {"estimate_s", estimate_s}};
  Put(&out, "isolation", isolation);
  Put(&out, "timeout_s", timeout_s);
  Put(&out, "memory_bytes", memory_bytes);
  Put(&out, "max_attempts", max_attempts);
  if (early_stopping) out["early_stopping"] = early_stopping->ToJson();
  return out;
}

std::optional<JobPlan> JobPlan::FromJson(const std::string& text) {
  const nlohmann::json in = nlohmann::json::parse(text, nullptr, false);
  if (!in.is_object() || !in.contains("task")) return std::nullopt;
  try {
    JobPlan plan;
    plan.task = in.at("task").get<std::string>();
    plan.label = in.value("label", std::string());
    plan.default_isolation = in.value("default_isolation", std::string("process"));
    plan.needs_node = in.value("needs_node", false);
    plan.data = in.value("data", nlohmann::json());
    plan.cost_group = in.value("cost_group", plan.task);
    plan.estimate_s = in.value("estimate_s", 0.0);
    plan.isolation = Get<std::string>(in, "isolation");
    plan.timeout_s = Get<double>(in, "timeout_s");
    plan.memory_bytes = Get<int64_t>(in, "memory_bytes");
    plan.max_attempts = Get<int>(in, "max_attempts");
    if (in.contains("early_stopping")) {
      plan.early_stopping = EarlyStopping::FromJson(in["early_stopping"]);
      if (!plan.early_stopping) return std::nullopt;
    }
    return plan;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

JobPlan MakeJobPlan(const nlohmann::json& config, const nlohmann::json& limits) {
  JobPlan plan;
  plan.task = config.at("task").get<std::string>();
  plan.label = Label(config);
  plan.isolation = Get<std::string>(limits, "isolation");
  plan.timeout_s = Get<double>(limits, "timeout_s");
  plan.memory_bytes = Get<int64_t>(limits, "memory_bytes");
  plan.max_attempts = Get<int>(limits, "max_attempts");
  plan.cost_group = plan.task;
  if (config.contains("model") && config["model"].is_object()) {
    plan.cost_group += "/" + config["model"].value("attention", std::string());
  }
  const TaskDefinition* task = FindTask(plan.task);
  if (task == nullptr) return plan;
  plan.default_isolation = task->default_isolation;
  TryAssign(&plan.needs_node, [&] { return task->needs_node(config); });
  TryAssign(&plan.estimate_s, [&] { return task->estimate_seconds(config); });
  // A job reads transactions when its resolved config kept their keys (train always,
  // approximation only on transaction inputs): those keys say what is prepared. The window length
  // and cropping are not among them: they apply when batches are cut.
  if (config.contains("data") && config["data"].is_object()) {
    for (const ParamSpec& spec : KeysOf(KeyGroup::kTransactions)) {
      const std::string key = spec.key.substr(spec.key.find('.') + 1);
      if (config["data"].contains(key)) {
        plan.data[key] = config["data"][key];
      }
    }
    // Except for a planted signal family, which is generated for the window (data.signal_kind).
    if (plan.data.is_object() && plan.data.value("signal_kind", "mix") != "mix" &&
        config["data"].contains("max_len")) {
      plan.data["max_len"] = config["data"]["max_len"];
    }
  }
  return plan;
}

}  // namespace attnsweep
