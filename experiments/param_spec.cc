#include "experiments/param_spec.h"

#include <sstream>
#include <utility>

namespace attnsweep {

namespace {

// The shortest spelling that reads back as the same double ("0.1", not "0.10000000000000001").
std::string NumberText(double value) {
  for (int precision = 1;; ++precision) {
    std::ostringstream text;
    text.precision(precision);
    text << value;
    if (precision >= 17 || std::stod(text.str()) == value) return text.str();
  }
}

ParamSpec Make(std::string key, ParamType type, std::string default_text) {
  ParamSpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_text = std::move(default_text);
  return spec;
}

}  // namespace

ParamSpec ParamSpec::Int(std::string key, int64_t default_value) {
  return Make(std::move(key), ParamType::kInt, std::to_string(default_value));
}
ParamSpec ParamSpec::Float(std::string key, double default_value) {
  return Make(std::move(key), ParamType::kFloat, NumberText(default_value));
}
ParamSpec ParamSpec::String(std::string key, std::string default_value) {
  return Make(std::move(key), ParamType::kString, std::move(default_value));
}
ParamSpec ParamSpec::Bool(std::string key, bool default_value) {
  return Make(std::move(key), ParamType::kBool, default_value ? "true" : "false");
}
ParamSpec ParamSpec::NumberList(std::string key, std::string default_text) {
  return Make(std::move(key), ParamType::kNumberList, std::move(default_text));
}

ParamSpec& ParamSpec::Range(double low, double high) {
  min = low;
  max = high;
  return *this;
}
ParamSpec& ParamSpec::AtLeast(double low) {
  min = low;
  return *this;
}
ParamSpec& ParamSpec::Below(double high) {
  max = high;
  max_exclusive = true;
  return *this;
}
ParamSpec& ParamSpec::Choices(std::vector<std::string> values) {
  choices = std::move(values);
  return *this;
}
ParamSpec& ParamSpec::When(std::string condition_key, std::string value) {
  when.push_back({std::move(condition_key), std::move(value)});
  return *this;
}
ParamSpec& ParamSpec::Help(std::string text) {
  help = std::move(text);
  return *this;
}

ParamSpec& ParamSpec::OmittedAtDefault() {
  omitted_at_default = true;
  return *this;
}

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kFloat:
      return "number";
    case ParamType::kString:
      return "string";
    case ParamType::kBool:
      return "boolean";
    case ParamType::kNumberList:
      return "comma-separated list of numbers";
  }
  return "?";
}

}  // namespace attnsweep
