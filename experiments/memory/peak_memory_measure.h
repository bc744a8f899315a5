// The peak memory of a region, above what was allocated when it began, on the device the region
// computes on.
#pragma once

#include <cstdint>

namespace attnsweep {

class PeakMemoryMeasure {
 public:
  // `cuda_device` -1: the CPU, counted exactly by the counting allocator (counting_allocator.h);
  // otherwise that GPU's caching allocator, whose peak is reset here.
  explicit PeakMemoryMeasure(int cuda_device = -1);
  int64_t PeakAboveBaseline() const;

 private:
  int cuda_device_;
  int64_t baseline_;
};

}  // namespace attnsweep
