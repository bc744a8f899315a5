// How far apart two tensors are, for the tests that compare a kernel with its reference.
#pragma once

#include <ATen/ATen.h>

namespace attnsweep {

// The largest absolute difference between a and b, element by element.
inline double LargestGap(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace attnsweep
