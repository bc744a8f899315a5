#include "experiments/device/autocast_scope.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace attnsweep {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool IsEnabled(c10::DeviceType device) { return at::autocast::is_autocast_enabled(device); }
void SetEnabled(c10::DeviceType device, bool on) { at::autocast::set_autocast_enabled(device, on); }
c10::ScalarType DtypeOf(c10::DeviceType device) { return at::autocast::get_autocast_dtype(device); }
void SetDtype(c10::DeviceType device, c10::ScalarType dtype) {
  at::autocast::set_autocast_dtype(device, dtype);
}
#else
// LibTorch before 2.4: one set of functions for CUDA ("gpu") and one for the CPU.
bool IsEnabled(c10::DeviceType device) {
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled()
                                         : at::autocast::is_cpu_enabled();
}
void SetEnabled(c10::DeviceType device, bool on) {
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
}
c10::ScalarType DtypeOf(c10::DeviceType device) {
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                         : at::autocast::get_autocast_cpu_dtype();
}
void SetDtype(c10::DeviceType device, c10::ScalarType dtype) {
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

}  // namespace

bool AutocastEnabled(c10::DeviceType device) { return IsEnabled(device); }

AutocastScope::AutocastScope(c10::DeviceType device, c10::ScalarType dtype)
    : device_(device), was_enabled_(IsEnabled(device)), old_dtype_(DtypeOf(device)) {
  SetDtype(device, dtype);
  SetEnabled(device, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  // Leaving the outermost scope drops the casts autocast cached for this scope's weights.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetEnabled(device_, was_enabled_);
  SetDtype(device_, old_dtype_);
}

AutocastSuspended::AutocastSuspended()
    : cpu_was_enabled_(IsEnabled(c10::DeviceType::CPU)),
      cuda_was_enabled_(IsEnabled(c10::DeviceType::CUDA)) {
  SetEnabled(c10::DeviceType::CPU, false);
  SetEnabled(c10::DeviceType::CUDA, false);
}

AutocastSuspended::~AutocastSuspended() {
  SetEnabled(c10::DeviceType::CPU, cpu_was_enabled_);
  SetEnabled(c10::DeviceType::CUDA, cuda_was_enabled_);
}

}  // namespace attnsweep
