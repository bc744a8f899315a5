#include "workers/device_placement.h"

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "experiments/base/strings.h"

namespace attnsweep {
namespace {

bool AllDigits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int DriverGpuCount(const std::string& proc_root, const std::string& dev_root) {
  namespace fs = std::filesystem;
  std::error_code error;
  int count = 0;
  // One folder per GPU, named by its PCI address; present wherever the driver is loaded.
  const fs::path gpus = fs::path(proc_root) / "driver" / "nvidia" / "gpus";
  for (fs::directory_iterator it(gpus, error), end; !error && it != end; it.increment(error)) {
    ++count;
  }
  if (count > 0) return count;
  // Containers may mount the device files without /proc/driver: /dev/nvidia0, /dev/nvidia1...
  error.clear();
  for (fs::directory_iterator it(dev_root, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("nvidia", 0) == 0 && AllDigits(name.substr(6))) ++count;
  }
  return count;
}

int VisibleGpuCount(const std::optional<std::string>& visible, int driver_gpus) {
  if (!visible) return driver_gpus;
  std::istringstream entries(*visible);
  std::string entry;
  std::set<long> seen;
  int count = 0;
  while (std::getline(entries, entry, ',')) {
    entry = TrimBlanks(entry);
    if (AllDigits(entry)) {
      const long index = std::strtol(entry.c_str(), nullptr, 10);
      if (index >= driver_gpus || !seen.insert(index).second) break;
    } else if (entry.rfind("GPU-", 0) != 0 && entry.rfind("MIG-", 0) != 0) {
      break;  // -1, an empty entry, a typo: CUDA stops listing here
    }
    ++count;
  }
  return count;
}

int VisibleGpus() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return VisibleGpuCount(visible ? std::optional<std::string>(visible) : std::nullopt,
                         DriverGpuCount());
}

DeviceChoice ChooseDevice(const std::string& requested, bool cuda_build, int visible_gpus,
                          int worker_index) {
  if (requested == "cpu") return {"cpu", ""};
  const bool want_gpu = requested == "cuda";
  if (!cuda_build) {
    if (!want_gpu) return {"cpu", ""};
    return {"",
            "--device cuda: this build of attnsweep has no CUDA (built against a CPU-only "
            "LibTorch); build against a CUDA LibTorch (docs/gpu.md) or use --device cpu"};
  }
  if (visible_gpus <= 0) {
    if (!want_gpu) return {"cpu", ""};
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return {"", std::string("--device cuda: no GPU is visible here (CUDA_VISIBLE_DEVICES=") +
                    (visible ? visible : "unset") + ", " + std::to_string(DriverGpuCount()) +
                    " GPUs listed by the NVIDIA driver); use --device cpu or auto"};
  }
  return {"cuda:" + std::to_string(worker_index % visible_gpus), ""};
}

std::string ExclusiveUnit(const std::string& host, const std::string& device) {
  return device.empty() || device == "cpu" ? host : host + "/" + device;
}

}  // namespace attnsweep
