#include "experiments/yaml_values.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "experiments/base/strings.h"

namespace attnsweep {

std::string FormatGridIssue(const std::string& file, const GridIssue& issue) {
  std::ostringstream out;
  out << file;
  if (issue.mark.line > 0) out << ":" << issue.mark.line << ":" << issue.mark.column;
  out << ": " << issue.message;
  return out.str();
}

SourceMark MarkOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

namespace {

bool ParseDouble(const std::string& text, double* out) {
  if (text.empty()) return false;
  std::string t = text;
  // YAML 1.1/1.2 spellings of the special floats; they are rejected by range checks later.
  if (t == ".inf" || t == ".Inf" || t == ".INF" || t == "+.inf") t = "inf";
  if (t == "-.inf" || t == "-.Inf" || t == "-.INF") t = "-inf";
  if (t == ".nan" || t == ".NaN" || t == ".NAN") t = "nan";
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE) return false;
  *out = v;
  return true;
}

bool ParseInt(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() + text.size() && errno == 0) {
    *out = v;
    return true;
  }
  // 1e3 or 512.0 are accepted for an integer key when they are whole numbers.
  double d;
  if (ParseDouble(text, &d) && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

bool ParseBool(const std::string& text, bool* out) {
  static const char* kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char* kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (text == t) return *out = true, true;
  }
  for (const char* f : kFalse) {
    if (text == f) return *out = false, true;
  }
  return false;
}

std::string BoundText(double v) {
  char text[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", v);
  } else {
    std::snprintf(text, sizeof(text), "%g", v);
  }
  return text;
}

std::string RangeText(const ParamSpec& spec) {
  std::string lo = spec.min ? BoundText(*spec.min) : "";
  std::string hi = spec.max ? BoundText(*spec.max) : "";
  if (spec.min && spec.max) {
    return "between " + lo + " and " + hi + (spec.max_exclusive ? " (exclusive)" : "");
  }
  if (spec.min) return "at least " + lo;
  return "at most " + hi;
}

// A finite number within the key's range, for float keys and each item of a number list.
std::optional<double> NumberFromText(const std::string& text, const ParamSpec& spec,
                                     std::string* error) {
  double v;
  const std::string what = spec.type == ParamType::kNumberList ? "a list of numbers" : "a number";
  if (!ParseDouble(text, &v)) {
    *error = "'" + spec.key + "' must be " + what + ", got '" + text + "'";
    return std::nullopt;
  }
  if (!std::isfinite(v)) {
    *error =
        "'" + spec.key + "' must be " +
        (spec.type == ParamType::kNumberList ? "a list of finite numbers" : "a finite number") +
        ", got " + text;
    return std::nullopt;
  }
  bool low = spec.min && v < *spec.min;
  bool high = spec.max && (spec.max_exclusive ? v >= *spec.max : v > *spec.max);
  if (low || high) {
    *error = "'" + spec.key + "' must be " + RangeText(spec) + ", got " + text;
    return std::nullopt;
  }
  // -0.0 and 0.0 are the same setting; keep one spelling so they share a job key.
  if (v == 0.0) v = 0.0;
  return v;
}

std::optional<nlohmann::json> FromText(const std::string& text, const ParamSpec& spec,
                                       std::string* error) {
  switch (spec.type) {
    case ParamType::kInt: {
      int64_t v;
      if (!ParseInt(text, &v)) {
        double whole;
        if (ParseDouble(text, &whole) && std::isfinite(whole) && whole == std::floor(whole)) {
          // An integer, past what one holds exactly (9e15): say so, not "not an integer".
          *error =
              "'" + spec.key + "' must be " +
              (spec.min || spec.max ? RangeText(spec) : std::string("an integer of at most 9e15")) +
              ", got " + text + ": too large";
        } else {
          *error = "'" + spec.key + "' must be an integer, got '" + text + "'";
        }
        return std::nullopt;
      }
      bool low = spec.min && v < *spec.min;
      bool high = spec.max && (spec.max_exclusive ? v >= *spec.max : v > *spec.max);
      if (low || high) {
        *error = "'" + spec.key + "' must be " + RangeText(spec) + ", got " + text;
        return std::nullopt;
      }
      return nlohmann::json(v);
    }
    case ParamType::kFloat: {
      auto v = NumberFromText(text, spec, error);
      if (!v) return std::nullopt;
      return nlohmann::json(*v);
    }
    case ParamType::kNumberList: {
      nlohmann::json list = nlohmann::json::array();
      std::stringstream items(text);
      std::string item;
      while (std::getline(items, item, ',')) {
        auto v = NumberFromText(TrimBlanks(item), spec, error);
        if (!v) return std::nullopt;
        list.push_back(*v);
      }
      if (list.empty()) {
        *error = "'" + spec.key + "' must list at least one number, got '" + text + "'";
        return std::nullopt;
      }
      return list;
    }
    case ParamType::kBool: {
      bool v;
      if (!ParseBool(text, &v)) {
        *error = "'" + spec.key + "' must be true or false, got '" + text + "'";
        return std::nullopt;
      }
      return nlohmann::json(v);
    }
    case ParamType::kString: {
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        std::string known;
        for (const auto& c : spec.choices) known += (known.empty() ? "" : ", ") + c;
        std::string what = spec.key == "model.attention" ? "unknown attention variant"
                           : spec.key == "task"          ? "unknown task"
                                                         : "unknown value for '" + spec.key + "'";
        *error = what + " '" + text + "' (known: " + known + ")";
        std::string close = ClosestName(text, spec.choices);
        if (!close.empty()) *error += "; did you mean '" + close + "'?";
        return std::nullopt;
      }
      return nlohmann::json(text);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<nlohmann::json> NormalizeValue(const YAML::Node& node, const ParamSpec& spec,
                                             std::string* error) {
  if (!node.IsScalar()) {
    *error = "'" + spec.key + "' must be a single " + ParamTypeName(spec.type) + ", got a " +
             (node.IsSequence() ? "list"
              : node.IsMap()    ? "mapping"
                                : "null");
    return std::nullopt;
  }
  return FromText(node.Scalar(), spec, error);
}

nlohmann::json ParseDefault(const ParamSpec& spec) {
  std::string error;
  auto value = FromText(spec.default_text, spec, &error);
  return value ? *value : nlohmann::json();
}

}  // namespace attnsweep
