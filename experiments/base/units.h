// Durations and sizes as people write them on a command line or in a grid: "90s", "30m", "2h",
// "512M", "16G". Plain numbers are seconds and bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace attnsweep {

// Bytes in a mebibyte: figures named *_mb are in these.
constexpr double kMiB = 1024.0 * 1024.0;

// The longest duration and the largest size taken: past them a figure is a typo more likely than a
// plan, and its nanoseconds or bytes would overflow the arithmetic of clocks and counters.
constexpr double kLongestDurationSeconds = 366.0 * 86400;
constexpr int64_t kLargestSizeBytes = int64_t{1} << 50;  // 1 PiB

// Each nullopt when `text` is not one, or is past the bounds above (the *Problem functions below
// say which).
std::optional<double> ParseDurationSeconds(const std::string& text);
std::optional<int64_t> ParseSizeBytes(const std::string& text);
// Bytes as ParseSizeBytes reads them back: "512M", "1.5G", "900K", "12B".
std::string FormatSize(int64_t bytes);
// Seconds as a clock reads them: "0:03:20", "27:46:40" (hours do not wrap into days).
std::string FormatClock(double seconds);

// The smallest job memory cap (--job-memory, limits.memory): a job process holds about 80 MB
// resident before it computes anything, so a smaller cap could only kill every job.
constexpr int64_t kSmallestJobMemoryCap = 128LL << 20;
// What is wrong with `text` as a job memory cap ("" when nothing): not a size, past the largest,
// or under the smallest. Phrased to follow the option's or key's name.
std::string JobMemoryCapProblem(const std::string& text);
// What is wrong with `text` as a job timeout ("" when nothing): not a duration, zero (leave the
// option out for none), or past the longest.
std::string JobTimeoutProblem(const std::string& text);

}  // namespace attnsweep
