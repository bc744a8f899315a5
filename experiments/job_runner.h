// Runs one job from its resolved config and reports what happened. Free of LibTorch in its
// interface, so callers (the workers) do not compile against it.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "experiments/job_contract.h"

namespace attnsweep {

// Never throws: every failure becomes an outcome with a message.
JobOutput RunJob(const nlohmann::json& config, const JobContext& context);

// Whether a failure is running out of memory: LibTorch's out-of-memory error (CUDA's), or the CPU
// allocator's refusal, which LibTorch reports as a plain error.
bool IsOutOfMemory(const std::exception& error);

// "1.13.0", say: the LibTorch this binary was built against.
std::string LibTorchVersion();

// Installs what measuring needs before any job runs (the counting CPU allocator), tunes the heap
// for training's large short-lived buffers (heap_tuning.h) and flushes subnormal floats to zero.
// Idempotent.
void PrepareJobProcess();

// How many threads an at::parallel_for in this library's code runs on. ATen's loop is a header
// template: compiled without OpenMP (LibTorch's intra-op backend here) its pragma is dropped and
// the loop runs on the calling thread alone, as every parallel loop of ours (the exact kernels,
// the softmax) did until the build said -fopenmp. A test holds the build to at::get_num_threads().
int64_t ThreadsOfOurParallelLoops();

}  // namespace attnsweep
