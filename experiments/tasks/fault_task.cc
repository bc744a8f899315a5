// `fault`: a job that fails the way fault.kind says, really: the exception is thrown, the null
// pointer dereferenced, abort() called, the memory allocated and touched. The isolation machinery
// is tested against these, not against simulated statuses.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <thread>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {

// Sleeps in slices so a stop request is noticed.
void SleepFor(double seconds, const JobContext& context) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (context.stop_requested()) throw JobInterrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

void RunFaultTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const auto& fault = config.at("fault");
  const std::string kind = fault.at("kind").get<std::string>();
  const double seconds = fault.at("seconds").get<double>();
  if (kind == "sleep") {
    SleepFor(seconds, context);
    output->metrics.emplace_back("seconds", seconds);
    return;
  }
  SleepFor(std::min(seconds, 0.05), context);
  if (kind == "throw") throw std::runtime_error("fault job: thrown on purpose");
  if (kind == "segfault") {
    volatile int* nowhere = nullptr;
    *nowhere = 1;  // a real SIGSEGV
  }
  if (kind == "abort") std::abort();
  if (kind == "allocate") {
    const auto bytes = static_cast<int64_t>(fault.at("gigabytes").get<double>() * (1 << 30));
    at::Tensor block = at::empty({bytes}, at::kByte);
    block.fill_(1);  // touch every page
    output->metrics.emplace_back("allocated_gb", static_cast<double>(bytes) / (1 << 30));
    return;
  }
  output->metrics.emplace_back("value",
                               kind == "nan" ? std::numeric_limits<double>::quiet_NaN() : 1.0);
}

}  // namespace attnsweep
