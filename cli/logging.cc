#include "cli/logging.h"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace attnsweep {

void SetupLogging(int verbosity, int rank) {
  auto logger = spdlog::stderr_color_mt("attnsweep");
  logger->set_pattern("[r" + std::to_string(rank) + " %H:%M:%S] %^%l%$: %v");
  logger->set_level(verbosity < 0   ? spdlog::level::warn
                    : verbosity > 0 ? spdlog::level::debug
                                    : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace attnsweep
