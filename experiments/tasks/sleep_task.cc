// `sleep`: sleeps sleep.seconds and reports it. Exercises the machinery (dispatch, store, resume)
// without LibTorch work.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {}  // namespace

void RunSleepTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  using Clock = std::chrono::steady_clock;
  const double seconds = config.at("sleep").at("seconds").get<double>();
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  // Sleep in slices so an interrupt is noticed within 50 ms.
  for (auto now = start; now < end; now = Clock::now()) {
    if (context.stop_requested()) throw JobInterrupted();
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
  const double slept = std::chrono::duration<double>(Clock::now() - start).count();
  output->metrics.emplace_back("seconds", slept);
}

}  // namespace attnsweep
