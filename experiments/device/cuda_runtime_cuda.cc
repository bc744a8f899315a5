// cuda_runtime.h for a build against a CUDA LibTorch: compiled only there (CMakeLists.txt), and
// written against the APIs that LibTorch 1.13 and 2.x share: the caching allocator's statistics by
// device index, and stat 0 of each array, the aggregate over pool kinds (StatType::AGGREGATE, whose
// namespace moved in 2.x).
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>
#include <torch/cuda.h>

#include "experiments/device/cuda_runtime.h"

namespace attnsweep {
namespace {
constexpr size_t kAggregate = 0;

auto StatsOf(int device_index) {
  return c10::cuda::CUDACachingAllocator::getDeviceStats(
      static_cast<c10::DeviceIndex>(device_index));
}
}  // namespace

bool BuiltWithCuda() { return true; }

std::string CudaBuildDescription() {
  return "CUDA " + std::to_string(CUDART_VERSION / 1000) + "." +
         std::to_string(CUDART_VERSION % 1000 / 10);
}

int CudaDevicesSeen() { return static_cast<int>(torch::cuda::device_count()); }

void SynchronizeCuda(int device_index) { torch::cuda::synchronize(device_index); }

int64_t CudaAllocatedBytes(int device_index) {
  return StatsOf(device_index).allocated_bytes[kAggregate].current;
}

int64_t CudaPeakAllocatedBytes(int device_index) {
  return StatsOf(device_index).allocated_bytes[kAggregate].peak;
}

void ResetCudaPeakMemory(int device_index) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
}

void ReleaseCachedCudaMemory() { c10::cuda::CUDACachingAllocator::emptyCache(); }

}  // namespace attnsweep
