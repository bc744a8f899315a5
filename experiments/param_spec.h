// One configuration key as a task or variant declares it: its type, default, allowed values and
// help. What the registry holds; config_schema.h gathers every declared key into the one schema.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnsweep {

// kNumberList: numbers written as one comma-separated string ("0.01, 0.05"), held as a JSON array;
// min and max bound each number.
enum class ParamType { kInt, kFloat, kString, kBool, kNumberList };

const char* ParamTypeName(ParamType type);

// One key, declared like a row of a table:
//   ParamSpec::Int("train.epochs", 5).Range(1, 100000).Help("passes over the training split")
struct ParamSpec {
  struct Condition {
    std::string key;
    std::string value;
  };

  std::string key;  // dotted, e.g. "model.d_model"
  ParamType type = ParamType::kString;
  std::string default_text;  // the default in YAML spelling; parsed like user input
  std::optional<double> min;
  std::optional<double> max;
  bool max_exclusive = false;
  std::vector<std::string> choices;  // allowed values of a string key; empty = any string
  // Tasks that read this key; empty = every task. Filled by the registry from the tasks'
  // declarations. A key no task of a job reads is left out of its resolved config, so it cannot
  // split one job into several or change its key.
  std::vector<std::string> tasks;
  // Read only when model.attention equals this variant; empty = whatever the variant. Filled by the
  // registry for the keys a variant declares.
  std::string variant;
  std::string help;
  // Read only when each condition's key equals its value, for the tasks that read that key: the
  // model's depth matters to a benchmark only when bench.scope is model; transaction data to an
  // approximation job only when approx.inputs is transactions (train reads no approx.inputs, so
  // that condition does not bind it).
  std::vector<Condition> when;
  // Left out of a resolved config while at its default: a key added after stores held jobs, so that
  // a job that does not set it keeps the job key it always had (and `run --reuse` finds it).
  bool omitted_at_default = false;

  static ParamSpec Int(std::string key, int64_t default_value);
  static ParamSpec Float(std::string key, double default_value);
  static ParamSpec String(std::string key, std::string default_value);
  static ParamSpec Bool(std::string key, bool default_value);
  static ParamSpec NumberList(std::string key, std::string default_text);

  // Called on the temporary a factory returns; each returns *this for the next column.
  ParamSpec& Range(double low, double high);
  ParamSpec& AtLeast(double low);
  ParamSpec& Below(double high);  // exclusive upper bound
  ParamSpec& Choices(std::vector<std::string> values);
  ParamSpec& When(std::string condition_key, std::string value);
  ParamSpec& Help(std::string text);
  ParamSpec& OmittedAtDefault();
};

}  // namespace attnsweep
