#include "experiments/memory/peak_memory_measure.h"

#include "experiments/device/cuda_runtime.h"
#include "experiments/memory/counting_allocator.h"

namespace attnsweep {

PeakMemoryMeasure::PeakMemoryMeasure(int cuda_device) : cuda_device_(cuda_device) {
  if (cuda_device_ < 0) {
    baseline_ = CpuMemoryCounter::CurrentBytes();
    CpuMemoryCounter::ResetPeak();
  } else {
    baseline_ = CudaAllocatedBytes(cuda_device_);
    ResetCudaPeakMemory(cuda_device_);
  }
}

int64_t PeakMemoryMeasure::PeakAboveBaseline() const {
  const int64_t peak =
      cuda_device_ < 0 ? CpuMemoryCounter::PeakBytes() : CudaPeakAllocatedBytes(cuda_device_);
  return peak - baseline_;
}

}  // namespace attnsweep
