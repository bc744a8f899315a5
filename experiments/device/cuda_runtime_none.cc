// cuda_runtime.h for a build against a CPU-only LibTorch (Debian's): no CUDA code is compiled.
#include <stdexcept>

#include "experiments/device/cuda_runtime.h"

namespace attnsweep {
namespace {
[[noreturn]] void NoCuda() {
  throw std::logic_error(
      "this build of attnsweep has no CUDA: it was built against a CPU-only "
      "LibTorch (docs/gpu.md says how to build against a CUDA one)");
}
}  // namespace

bool BuiltWithCuda() { return false; }
std::string CudaBuildDescription() { return ""; }
int CudaDevicesSeen() { return 0; }
void SynchronizeCuda(int) { NoCuda(); }
int64_t CudaAllocatedBytes(int) { NoCuda(); }
int64_t CudaPeakAllocatedBytes(int) { NoCuda(); }
void ResetCudaPeakMemory(int) { NoCuda(); }
void ReleaseCachedCudaMemory() {}

}  // namespace attnsweep
