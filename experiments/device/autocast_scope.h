// Mixed precision in a scope, over the autocast API of LibTorch 1.13 and of 2.x alike (2.4 moved
// it from per-device functions to functions of a device type). Autocast is per thread: a job sets
// it in the thread that runs its passes.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace attnsweep {

// Within its life, eligible ops (matrix products, linear layers) on `device` run in `dtype`, and
// ops that need the range (softmax, losses, reductions) in fp32, by autocast's own lists.
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, c10::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool was_enabled_;
  c10::ScalarType old_dtype_;
};

// Within its life autocast is off on every device, so what runs there keeps its inputs' dtype:
// Performer's random features, whose exponentials overflow or lose the stabiliser's cancellation in
// bf16 or fp16, run in fp32 under an AutocastScope.
class AutocastSuspended {
 public:
  AutocastSuspended();
  ~AutocastSuspended();
  AutocastSuspended(const AutocastSuspended&) = delete;
  AutocastSuspended& operator=(const AutocastSuspended&) = delete;

 private:
  bool cpu_was_enabled_;
  bool cuda_was_enabled_;
};

// Whether autocast is on for `device` in this thread.
bool AutocastEnabled(c10::DeviceType device);

}  // namespace attnsweep
