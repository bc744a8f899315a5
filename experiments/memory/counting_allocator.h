// Exact accounting of the bytes LibTorch allocates on the CPU, by wrapping its CPU allocator.
// Unlike the process's RSS it is immune to the C library's reuse of freed pages, so the peak of one
// computation can be measured above what was allocated before it.
#pragma once

#include <cstdint>

namespace attnsweep {

class CpuMemoryCounter {
 public:
  // Registers the counting allocator with c10::SetCPUAllocator. Tensors allocated before keep their
  // original deleters and are not counted. Idempotent; thread-safe.
  static void Install();
  static bool Installed();

  // Bytes currently allocated through the counting allocator.
  static int64_t CurrentBytes();
  // Highest CurrentBytes() since the last ResetPeak().
  static int64_t PeakBytes();
  // Sets the peak to the current value.
  static void ResetPeak();
};

}  // namespace attnsweep
