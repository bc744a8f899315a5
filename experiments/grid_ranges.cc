#include "experiments/grid_ranges.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "experiments/yaml_values.h"

namespace attnsweep {
namespace {

// A value this close to the stop, relative to the size of the bounds, is the stop: 0.1 steps and
// pow() round, and a user who writes {range: [0, 1, 0.1]} means 1 to be in it.
constexpr double kRelativeTolerance = 1e-9;

// Integers beyond 2^53 are not all representable in a double, so an integer range reaching them
// could not be checked or stepped exactly.
constexpr double kMaxExactInteger = 9007199254740992.0;

const char kForms[] =
    "{range: [start, stop]}, {range: [start, stop, step]} or {geom: [start, stop, factor]}";

// 15 significant digits, so that a float range stepping by 0.1 yields 0.3 rather than
// 0.30000000000000004: the same value, and so the same job, as a list that writes 0.3.
std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.15g", v);
  return text;
}

std::string Usage(const std::string& form) {
  return form == "range" ? "[start, stop] or [start, stop, step]" : "[start, stop, factor]";
}

std::string Written(const std::string& form, const std::vector<double>& args) {
  std::string text = "{" + form + ": [";
  for (size_t i = 0; i < args.size(); ++i) text += (i ? ", " : "") + Number(args[i]);
  return text + "]}";
}

// The arguments of `form` as numbers, as written (a range's step may be left out).
std::optional<std::vector<double>> ReadArguments(const YAML::Node& args, const std::string& form,
                                                 const ParamSpec& spec, std::string* error) {
  const size_t min_arity = form == "range" ? 2 : 3;
  if (!args.IsSequence() || args.size() < min_arity || args.size() > 3) {
    const std::string got = args.IsSequence() ? "a list of " + std::to_string(args.size())
                            : args.IsMap()    ? "a mapping"
                            : args.IsNull()   ? "nothing"
                                              : "'" + args.Scalar() + "'";
    *error = "'" + spec.key + "': '" + form + "' takes " + Usage(form) + ", got " + got;
    return std::nullopt;
  }
  std::vector<double> numbers;
  for (const auto& item : args) {
    double v = 0;
    if (!item.IsScalar() || !YAML::convert<double>::decode(item, v) || !std::isfinite(v)) {
      *error = "'" + spec.key + "': the " + form + "'s " + Usage(form) +
               " must be finite numbers, got " +
               (item.IsScalar() ? "'" + item.Scalar() + "'" : std::string("a nested value"));
      return std::nullopt;
    }
    numbers.push_back(v);
  }
  return numbers;
}

std::string TooMany(const ParamSpec& spec, const std::string& form, double count) {
  return "'" + spec.key + "': the " + form + " yields " + Number(count) +
         " values, more than the " + std::to_string(kMaxRangeValues) +
         " a grid axis may have; use a larger " + (form == "range" ? "step" : "factor") +
         " or split the grid";
}

// The range's values as text, to be read like written values.
std::optional<std::vector<std::string>> RangeTexts(const std::vector<double>& args,
                                                   const ParamSpec& spec, std::string* error) {
  const double start = args[0], stop = args[1], step = args.size() == 3 ? args[2] : 1;
  const std::string written = Written("range", args);
  if (step == 0) {
    *error =
        "'" + spec.key + "': " + written + " has step 0; the step must move from start to stop";
    return std::nullopt;
  }
  if (start > stop && step > 0) {
    *error = "'" + spec.key + "': " + written + " is empty: start " + Number(start) +
             " is greater than stop " + Number(stop) + "; to count down, write " +
             Written("range", {start, stop, -std::fabs(step)});
    return std::nullopt;
  }
  if (start < stop && step < 0) {
    *error = "'" + spec.key + "': " + written + " has a step of the wrong sign: " + Number(step) +
             " moves away from stop " + Number(stop) + "; write " +
             Written("range", {start, stop, -step});
    return std::nullopt;
  }

  std::vector<std::string> texts;
  if (spec.type == ParamType::kInt) {
    for (double v : {start, stop, step}) {
      if (v != std::floor(v) || std::fabs(v) > kMaxExactInteger) {
        *error = "'" + spec.key + "' takes integers, so the range's start, stop and step must be " +
                 "whole numbers; got " + Number(v) + " in " + written;
        return std::nullopt;
      }
    }
    // Exact integer arithmetic: no rounding to guard against.
    const int64_t first = static_cast<int64_t>(start), by = static_cast<int64_t>(step);
    const int64_t count = (static_cast<int64_t>(stop) - first) / by + 1;
    if (count > static_cast<int64_t>(kMaxRangeValues)) {
      *error = TooMany(spec, "range", static_cast<double>(count));
      return std::nullopt;
    }
    for (int64_t i = 0; i < count; ++i) texts.push_back(std::to_string(first + i * by));
    return texts;
  }

  // start + i * step rather than a running sum, so errors do not accumulate along the range.
  const double steps = (stop - start) / step;
  if (steps + 1 > kMaxRangeValues) {
    *error = TooMany(spec, "range", std::floor(steps) + 1);
    return std::nullopt;
  }
  const double scale = std::max(std::fabs(start), std::fabs(stop));
  const double nearest = std::round(steps);
  const bool hits_stop = std::fabs(start + nearest * step - stop) <= kRelativeTolerance * scale;
  const size_t last = static_cast<size_t>(hits_stop ? nearest : std::floor(steps));
  for (size_t i = 0; i <= last; ++i) {
    double value = hits_stop && i == last ? stop : start + static_cast<double>(i) * step;
    // A range through zero lands beside it ({range: [-0.3, 0.3, 0.1]} gives -2.8e-17): it is 0,
    // the same value, and so the same job, as a written 0.
    if (std::fabs(value) <= kRelativeTolerance * scale) value = 0;
    texts.push_back(Number(value));
  }
  return texts;
}

// The geometric sequence's values as text, to be read like written values.
std::optional<std::vector<std::string>> GeomTexts(const std::vector<double>& args,
                                                  const ParamSpec& spec, std::string* error) {
  const double start = args[0], stop = args[1], factor = args[2];
  const std::string written = Written("geom", args);
  if (factor <= 1) {
    *error = "'" + spec.key + "': " + written + " has factor " + Number(factor) +
             "; the factor must be greater than 1, as in {geom: [64, 16384, 2]}";
    return std::nullopt;
  }
  if (start <= 0) {
    *error = "'" + spec.key + "': " + written + " starts at " + Number(start) +
             "; a geometric sequence must start above 0";
    return std::nullopt;
  }
  if (start > stop) {
    *error = "'" + spec.key + "': " + written + " is empty: start " + Number(start) +
             " is greater than stop " + Number(stop);
    return std::nullopt;
  }
  // Each value is start * factor^i, computed afresh rather than multiplied along.
  const double steps = std::log(stop / start) / std::log(factor);
  if (steps + 1 > kMaxRangeValues) {
    *error = TooMany(spec, "geom", std::floor(steps) + 1);
    return std::nullopt;
  }
  const double nearest = std::round(steps);
  const bool hits_stop =
      std::fabs(start * std::pow(factor, nearest) - stop) <= kRelativeTolerance * stop;
  size_t last = static_cast<size_t>(hits_stop ? nearest : std::floor(steps));
  if (!hits_stop && start * std::pow(factor, static_cast<double>(last)) > stop) --last;

  std::vector<std::string> texts;
  for (size_t i = 0; i <= last; ++i) {
    double v = hits_stop && i == last ? stop : start * std::pow(factor, static_cast<double>(i));
    if (spec.type == ParamType::kInt) {
      const double whole = std::round(v);
      if (std::fabs(v - whole) > kRelativeTolerance * v) {
        *error = "'" + spec.key + "' takes integers, but " + written + " yields " + Number(v) +
                 "; choose a start and factor whose products are whole numbers, or write the "
                 "values as a list";
        return std::nullopt;
      }
      v = whole;
    }
    texts.push_back(Number(v));
  }
  return texts;
}

}  // namespace

std::optional<std::vector<nlohmann::json>> ExpandRange(const YAML::Node& node,
                                                       const ParamSpec& spec, std::string* error) {
  if (spec.type != ParamType::kInt && spec.type != ParamType::kFloat) {
    *error = "'" + spec.key + "' takes a " + ParamTypeName(spec.type) +
             ", not a number: write its values as a list ([a, b]); range and geom are for "
             "integer and number keys";
    return std::nullopt;
  }
  if (!node.IsMap() || node.size() != 1) {
    *error = "'" + spec.key + "' takes a list of values or one of " + kForms;
    return std::nullopt;
  }
  const auto entry = node.begin();
  const std::string form = entry->first.IsScalar() ? entry->first.Scalar() : "";
  if (form != "range" && form != "geom") {
    *error = "'" + spec.key + "': unknown '" + form + "'";
    const std::string close = ClosestName(form, {"range", "geom"});
    if (!close.empty()) *error += "; did you mean '" + close + "'?";
    *error += std::string(" (write ") + kForms + ")";
    return std::nullopt;
  }
  const auto args = ReadArguments(entry->second, form, spec, error);
  if (!args) return std::nullopt;
  const auto texts =
      form == "range" ? RangeTexts(*args, spec, error) : GeomTexts(*args, spec, error);
  if (!texts) return std::nullopt;

  std::vector<nlohmann::json> values;
  for (const std::string& text : *texts) {
    auto value = NormalizeValue(YAML::Node(text), spec, error);
    if (!value) {
      *error += " (a value of " + Written(form, *args) + ")";
      return std::nullopt;
    }
    values.push_back(std::move(*value));
  }
  return values;
}

}  // namespace attnsweep
