#include "experiments/grid_search.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "experiments/config_schema.h"
#include "experiments/yaml_values.h"

namespace attnsweep {
namespace {

constexpr const char* kDistributions[] = {"uniform", "loguniform", "int", "choice"};

// SplitMix64 (Steele, Lea and Flood 2014): a fixed, portable mix, unlike the standard library's
// distributions, whose outputs differ between implementations.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashOf(const std::string& text) {  // FNV-1a
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001B3ull;
  return hash;
}

// Sample `index` of `key` under `seed`, uniform in [0, 1).
double Unit(uint64_t seed, const std::string& key, int64_t index) {
  const uint64_t stream = Mix(Mix(seed) ^ HashOf(key));
  return static_cast<double>(Mix(stream + static_cast<uint64_t>(index)) >> 11) * 0x1.0p-53;
}

// Six significant digits: a drawn learning rate reads 0.00123457 in every table, not 17 digits.
double Rounded(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return std::strtod(text, nullptr);
}

struct Distribution {
  std::string key;
  const ParamSpec* spec = nullptr;
  std::string kind;
  std::vector<nlohmann::json> values;  // the bounds [a, b], or the choices
  SourceMark mark;
};

class SearchParser {
 public:
  SearchSection Parse(const YAML::Node& node) {
    if (!node.IsMap()) {
      Error(MarkOf(node),
            "'search' takes a mapping: samples, seed, and a distribution for each key "
            "({uniform: [a, b]}, {loguniform: [a, b]}, {int: [a, b]}, {choice: [...]})");
      return std::move(section_);
    }
    std::optional<int64_t> samples;
    uint64_t seed = 0;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key == "samples") {
        samples = Count(it->second, "samples", 1, kMaxSearchSamples);
      } else if (key == "seed") {
        seed = static_cast<uint64_t>(Count(it->second, "seed", 0, 2147483647).value_or(0));
      } else {
        Collect(key, it->first, it->second);
      }
    }
    if (!node["samples"]) {
      Error(MarkOf(node), "'search' needs 'samples': how many values to draw for each key");
    }
    if (!wrote_a_key_) {
      Error(MarkOf(node),
            "'search' draws no key: give at least one, such as train.lr: {loguniform: [0.0001, "
            "0.1]}");
    }
    if (!section_.errors.empty() || !samples) return std::move(section_);
    for (int64_t i = 0; i < *samples; ++i) {
      std::vector<SampledValue> sample;
      for (const Distribution& d : distributions_)
        sample.push_back({d.key, Draw(d, seed, i), d.mark});
      section_.samples.push_back(std::move(sample));
    }
    return std::move(section_);
  }

 private:
  void Error(SourceMark mark, std::string message) {
    section_.errors.push_back({mark, std::move(message)});
  }

  std::optional<int64_t> Count(const YAML::Node& node, const std::string& what, int64_t low,
                               int64_t high) {
    int64_t value = 0;
    if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value) || value < low ||
        value > high) {
      Error(MarkOf(node), "'search." + what + "' must be an integer from " + std::to_string(low) +
                              " to " + std::to_string(high));
      return std::nullopt;
    }
    return value;
  }

  // A key's distribution, or a section holding keys (train: {lr: {loguniform: ...}}).
  void Collect(const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
    wrote_a_key_ = true;
    const bool is_distribution =
        value.IsMap() && value.size() == 1 &&
        std::any_of(std::begin(kDistributions), std::end(kDistributions),
                    [&](const char* name) { return value.begin()->first.Scalar() == name; });
    if (!is_distribution && value.IsMap() && IsSectionPrefix(key)) {
      for (auto it = value.begin(); it != value.end(); ++it) {
        Collect(key + "." + it->first.Scalar(), it->first, it->second);
      }
      return;
    }
    const ParamSpec* spec = FindParam(key);
    if (spec == nullptr) {
      Error(MarkOf(key_node), UnknownKeyMessage(key));
      return;
    }
    if (key == "task") {
      Error(MarkOf(key_node), "'task' is set by each experiment's own 'task:', not drawn");
      return;
    }
    if (!is_distribution) {
      Error(MarkOf(value), "'" + key +
                               "' in 'search' takes one distribution: {uniform: [a, b]}, "
                               "{loguniform: [a, b]}, {int: [a, b]} or {choice: [...]}");
      return;
    }
    for (const Distribution& d : distributions_) {
      if (d.key == key) {
        Error(MarkOf(key_node), "'" + key + "' is drawn twice in 'search'");
        return;
      }
    }
    Distribution d{key, spec, value.begin()->first.Scalar(), {}, MarkOf(value)};
    const YAML::Node args = value.begin()->second;
    if (!ReadArguments(args, &d)) return;
    distributions_.push_back(std::move(d));
  }

  bool ReadArguments(const YAML::Node& args, Distribution* d) {
    const bool bounds = d->kind != "choice";
    if (!args.IsSequence() || args.size() == 0 || (bounds && args.size() != 2)) {
      Error(MarkOf(args),
            "'" + d->key + "': " + d->kind +
                (bounds ? " takes [low, high]" : " takes a non-empty list of values"));
      return false;
    }
    const ParamType wanted = d->kind == "int" ? ParamType::kInt : ParamType::kFloat;
    if (bounds && d->spec->type != wanted) {
      Error(MarkOf(args), "'" + d->key + "' is " + ParamTypeName(d->spec->type) + ": " + d->kind +
                              " draws " + ParamTypeName(wanted) +
                              (wanted == ParamType::kInt ? "s; use uniform, or choice"
                                                         : "s; use int for an integer key, or "
                                                           "choice"));
      return false;
    }
    bool ok = true;
    for (const auto& item : args) {
      std::string error;
      if (auto normalised = NormalizeValue(item, *d->spec, &error)) {
        d->values.push_back(std::move(*normalised));
      } else {
        Error(MarkOf(item), error);
        ok = false;
      }
    }
    if (!ok || !bounds) return ok;
    const double low = d->values[0].get<double>(), high = d->values[1].get<double>();
    if (!(low < high) && !(d->kind == "int" && low == high)) {
      Error(MarkOf(args), "'" + d->key + "': " + d->kind + "'s low must be below its high");
      return false;
    }
    if (d->kind == "loguniform" && !(low > 0)) {
      Error(MarkOf(args), "'" + d->key + "': loguniform needs a low above 0");
      return false;
    }
    return true;
  }

  static nlohmann::json Draw(const Distribution& d, uint64_t seed, int64_t index) {
    const double u = Unit(seed, d.key, index);
    if (d.kind == "choice") {
      const auto n = static_cast<int64_t>(d.values.size());
      return d.values[static_cast<size_t>(std::min<int64_t>(n - 1, static_cast<int64_t>(u * n)))];
    }
    if (d.kind == "int") {
      const int64_t low = d.values[0].get<int64_t>(), high = d.values[1].get<int64_t>();
      return std::min(high, low + static_cast<int64_t>(u * static_cast<double>(high - low + 1)));
    }
    const double low = d.values[0].get<double>(), high = d.values[1].get<double>();
    const double value = d.kind == "uniform"
                             ? low + u * (high - low)
                             : std::exp(std::log(low) + u * (std::log(high) - std::log(low)));
    return std::clamp(Rounded(value), low, high);
  }

  SearchSection section_;
  std::vector<Distribution> distributions_;
  bool wrote_a_key_ = false;  // even one that was refused: no second, false problem
};

}  // namespace

SearchSection ParseSearch(const YAML::Node& node) { return SearchParser().Parse(node); }

}  // namespace attnsweep
