#include "cli/logging.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "experiments/base/label_rules.h"

namespace attnsweep {
namespace {

// Log lines quote stored text (batch, experiment and job names, errors): its control characters
// are escaped before the colour sink writes the line, so that none reaches the terminal (an ESC
// sequence would set its title, clear it, or erase earlier lines) and every line is one record (a
// line feed in a name would forge the next one).
class EscapingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text =
        EscapeControlCharacters(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg escaped(msg.time, msg.source, msg.logger_name, msg.level, text);
    escaped.thread_id = msg.thread_id;
    inner_->log(escaped);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

void SetupLogging(int verbosity, int rank) {
  auto colour = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger =
      std::make_shared<spdlog::logger>("attnsweep", std::make_shared<EscapingSink>(colour));
  logger->set_pattern("[r" + std::to_string(rank) + " %H:%M:%S] %^%l%$: %v");
  logger->set_level(verbosity < 0   ? spdlog::level::warn
                    : verbosity > 0 ? spdlog::level::debug
                                    : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace attnsweep
