#include "experiments/job_runner.h"

#include <cmath>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include "experiments/data/data_error.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/device/job_device.h"
#include "experiments/memory/counting_allocator.h"
#include "experiments/memory/heap_tuning.h"
#include "experiments/registry.h"

namespace attnsweep {

std::string LibTorchVersion() { return TORCH_VERSION; }

void PrepareJobProcess() {
  CpuMemoryCounter::Install();
  KeepFreedBuffersInHeap();
  // Subnormal floats cost the CPU a hundred times a normal operation: a model whose attention
  // sharpens until most weights underflow (chunked softmax, one seed of three) trained 2.3x slower
  // per epoch with them, with the same result flushed to zero (docs/train.md, "Speed"). The mode is
  // per thread: set here, and in each intra-op thread that already exists (threads created later
  // inherit it from the one that creates them).
  at::globalContext().setFlushDenormal(true);
  const int64_t threads = at::get_num_threads();
  at::parallel_for(0, threads, 1,
                   [](int64_t, int64_t) { at::globalContext().setFlushDenormal(true); });
}

int64_t ThreadsOfOurParallelLoops() {
  std::mutex mutex;
  std::set<int> threads;
  at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(at::get_thread_num());
  });
  return static_cast<int64_t>(threads.size());
}

bool IsOutOfMemory(const std::exception& error) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&error) != nullptr) return true;
  const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
  const std::string message = torch_error ? torch_error->what_without_backtrace() : error.what();
  return message.find("can't allocate memory") != std::string::npos ||
         message.find("out of memory") != std::string::npos;
}

namespace {

JobOutput Failure(JobOutcome outcome, std::string message) {
  JobOutput output;
  output.outcome = outcome;
  output.error = std::move(message);
  return output;
}

}  // namespace

JobOutput RunJob(const nlohmann::json& config, const JobContext& context) {
  PrepareJobProcess();
  // Only when it changes: at::set_num_threads also rebuilds LibTorch's pthreadpool, whose new
  // threads spin for milliseconds before they sleep, which cost a sweep of short jobs 10 ms each.
  if (context.threads > 0 && at::get_num_threads() != context.threads) {
    at::set_num_threads(context.threads);
  }
  JobOutput output;
  try {
    // A device this build or process cannot reach fails here, before any task reads its config.
    JobDevice(context.device);
    const std::string name = config.at("task").get<std::string>();
    const TaskDefinition* task = FindTask(name);
    if (task == nullptr) {
      return Failure(JobOutcome::kInvalid, "no task named '" + name + "' in this build");
    }
    // A program that registered the builtins' descriptions but not their runners: a bug of ours.
    if (!task->run) throw std::logic_error("task '" + name + "' has no run function attached");
    task->run(config, context, &output);
  } catch (const JobInterrupted&) {
    return Failure(JobOutcome::kInterrupted, "interrupted before it finished");
  } catch (const JobDiverged& e) {
    return Failure(JobOutcome::kDiverged, e.what());
  } catch (const InvalidJobConfig& e) {
    return Failure(JobOutcome::kInvalid, e.what());
  } catch (const DataError& e) {
    // Bad input data fails every attempt alike: not worth retrying.
    return Failure(JobOutcome::kInvalid, e.what());
  } catch (const std::bad_alloc&) {
    return Failure(JobOutcome::kOom, "out of memory (std::bad_alloc)");
  } catch (const c10::Error& e) {
    if (IsOutOfMemory(e) && context.device != "cpu") ReleaseCachedCudaMemory();
    return Failure(IsOutOfMemory(e) ? JobOutcome::kOom : JobOutcome::kError,
                   e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Failure(JobOutcome::kError, e.what());
  }
  for (const auto& [name, value] : output.metrics) {
    if (!std::isfinite(value)) {
      return Failure(JobOutcome::kDiverged, "metric '" + name + "' is not finite");
    }
  }
  return output;
}

}  // namespace attnsweep
