#include "experiments/base/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace attnsweep {
namespace {

// Splits "1.5G" into 1.5 and "G"; nullopt when the number part is not one.
std::optional<std::pair<double, std::string>> NumberAndSuffix(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(value) || value < 0) return std::nullopt;
  std::string suffix(end);
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::make_pair(value, suffix);
}

// Seconds or bytes before the bounds are applied: what the text says, however large.
std::optional<double> DurationOf(const std::string& text) {
  auto parsed = NumberAndSuffix(text);
  if (!parsed) return std::nullopt;
  const auto& [value, suffix] = *parsed;
  if (suffix.empty() || suffix == "s") return value;
  if (suffix == "m" || suffix == "min") return value * 60;
  if (suffix == "h") return value * 3600;
  if (suffix == "d") return value * 86400;
  return std::nullopt;
}

std::optional<double> SizeOf(const std::string& text) {
  auto parsed = NumberAndSuffix(text);
  if (!parsed) return std::nullopt;
  const auto& [value, suffix] = *parsed;
  double scale = 0;
  if (suffix.empty() || suffix == "b") scale = 1;
  if (suffix == "k" || suffix == "kb" || suffix == "kib") scale = 1024.0;
  if (suffix == "m" || suffix == "mb" || suffix == "mib") scale = 1024.0 * 1024;
  if (suffix == "g" || suffix == "gb" || suffix == "gib") scale = 1024.0 * 1024 * 1024;
  if (suffix == "t" || suffix == "tb" || suffix == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  if (suffix == "p" || suffix == "pb" || suffix == "pib")
    scale = 1024.0 * 1024 * 1024 * 1024 * 1024;
  if (scale == 0) return std::nullopt;
  return value * scale;
}

}  // namespace

std::optional<double> ParseDurationSeconds(const std::string& text) {
  const auto seconds = DurationOf(text);
  if (!seconds || *seconds > kLongestDurationSeconds) return std::nullopt;
  return seconds;
}

std::optional<int64_t> ParseSizeBytes(const std::string& text) {
  const auto bytes = SizeOf(text);
  if (!bytes || *bytes > static_cast<double>(kLargestSizeBytes)) return std::nullopt;
  return static_cast<int64_t>(*bytes);
}

std::string JobMemoryCapProblem(const std::string& text) {
  if (!SizeOf(text)) return "'" + text + "' is not a size such as 512M or 16G";
  const auto bytes = ParseSizeBytes(text);
  if (!bytes) {
    return "'" + text + "' is larger than any machine's memory (at most " +
           FormatSize(kLargestSizeBytes) + "; leave it out for no cap)";
  }
  if (*bytes < kSmallestJobMemoryCap) {
    return "'" + text + "' is too small for any job (a job process holds about 80 MB before it " +
           "computes anything): give at least " + FormatSize(kSmallestJobMemoryCap) +
           ", or leave it out for no cap";
  }
  return "";
}

std::string JobTimeoutProblem(const std::string& text) {
  const auto seconds = DurationOf(text);
  if (!seconds) return "'" + text + "' is not a duration such as 90s, 30m or 2h";
  if (*seconds <= 0) return "'" + text + "' is no time at all: leave it out for no timeout";
  if (*seconds > kLongestDurationSeconds) {
    return "'" + text + "' is longer than a timeout may be (366d): leave it out for no timeout";
  }
  return "";
}

std::string FormatClock(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof(text), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

std::string FormatSize(int64_t bytes) {
  const char* suffixes[] = {"B", "K", "M", "G", "T", "P"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (unit < 5 && value >= 1024) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g%s", value, suffixes[unit]);
  return text;
}

}  // namespace attnsweep
