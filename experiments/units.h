// Durations and sizes as people write them on a command line or in a grid: "90s", "30m", "2h",
// "512M", "16G". Plain numbers are seconds and bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace attnsweep {

// Bytes in a mebibyte: figures named *_mb are in these.
constexpr double kMiB = 1024.0 * 1024.0;

std::optional<double> ParseDurationSeconds(const std::string& text);
std::optional<int64_t> ParseSizeBytes(const std::string& text);

}  // namespace attnsweep
