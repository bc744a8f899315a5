// The device a job runs on: JobContext::device ("cpu", "cuda:1") as LibTorch's, checked against
// what this build and this process can reach.
#pragma once

#include <string>

#include <c10/core/Device.h>

namespace attnsweep {

// Throws std::runtime_error naming the device and what is missing (a build without CUDA, fewer
// visible GPUs than the index).
c10::Device JobDevice(const std::string& name);

// Waits for the device's queued work to end (CUDA runs kernels asynchronously); nothing on the
// CPU. Timings of a pass read the clock after it.
void WaitForDevice(const c10::Device& device);

// The CUDA device's index for the memory counters, -1 on the CPU.
int CudaIndexOf(const c10::Device& device);

}  // namespace attnsweep
