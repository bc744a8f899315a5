// What jobs need of CUDA, behind an interface free of LibTorch's and CUDA's headers. A build
// against a CUDA LibTorch compiles cuda_runtime_cuda.cc (the CUDA-only code, which Debian's CPU
// LibTorch could not link); every other build compiles cuda_runtime_none.cc, where BuiltWithCuda()
// is false and the rest throw: nothing may ask a build without CUDA for a GPU.
#pragma once

#include <cstdint>
#include <string>

namespace attnsweep {

// Whether this binary was built against a CUDA LibTorch.
bool BuiltWithCuda();
// "CUDA 13.0" (the toolkit LibTorch was built with), or "" in a build without CUDA.
std::string CudaBuildDescription();
// CUDA devices this process sees (CUDA_VISIBLE_DEVICES applied). Starts CUDA in the calling
// process: call it in a job, never in a process that forks afterwards. 0 in a build without CUDA.
int CudaDevicesSeen();
// Blocks until every kernel queued on the device has finished: CUDA runs them asynchronously, so
// a clock read right after a pass measures its launch, not its work.
void SynchronizeCuda(int device_index);
// Bytes the caching allocator has handed out on the device now, and their high-water mark since
// the last ResetCudaPeakMemory (what PyTorch's max_memory_allocated reports).
int64_t CudaAllocatedBytes(int device_index);
int64_t CudaPeakAllocatedBytes(int device_index);
void ResetCudaPeakMemory(int device_index);
// Returns the allocator's cached blocks to the device (after an out-of-memory, before trying on).
void ReleaseCachedCudaMemory();

}  // namespace attnsweep
