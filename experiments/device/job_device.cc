#include "experiments/device/job_device.h"

#include <cstdlib>
#include <stdexcept>

#include "experiments/device/cuda_runtime.h"

namespace attnsweep {

c10::Device JobDevice(const std::string& name) {
  if (name.empty() || name == "cpu") return c10::Device(c10::DeviceType::CPU);
  if (name.rfind("cuda", 0) != 0) {
    throw std::runtime_error("unknown device '" + name + "' (cpu or cuda:N)");
  }
  if (!BuiltWithCuda()) {
    throw std::runtime_error("device " + name +
                             ": this build of attnsweep has no CUDA (a CPU-only LibTorch)");
  }
  const c10::Device device(name);
  const int seen = CudaDevicesSeen();
  if (device.index() >= seen) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    throw std::runtime_error(
        "device " + name + ": this process sees " + std::to_string(seen) +
        " CUDA device(s) (CUDA_VISIBLE_DEVICES=" + (visible ? visible : "unset") + ")");
  }
  return device;
}

void WaitForDevice(const c10::Device& device) {
  if (device.is_cuda()) SynchronizeCuda(device.index());
}

int CudaIndexOf(const c10::Device& device) { return device.is_cuda() ? device.index() : -1; }

}  // namespace attnsweep
