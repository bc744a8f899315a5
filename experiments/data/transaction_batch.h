// A batch of windows of customers' event sequences as LibTorch tensors: at most max_len events
// each, real events first and padding after (trailing padding, as every variant assumes), and a
// mask. Tensors only: a model reads batches without knowing the dataset they were made from
// (batches.h makes them).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace attnsweep {

struct TransactionBatch {
  at::Tensor mcc, type;      // (B, L) int64 vocabulary indices; 0 at padding
  at::Tensor weekday, hour;  // (B, L) int64, 1 + value; 0 at padding
  at::Tensor numeric;        // (B, L, 2) float: sign(x) ln(1 + |x|) of the amount, ln(1 + gap days)
  at::Tensor padding_mask;   // (B, L) bool, true at padding
  at::Tensor labels;         // (B) float, 0 or 1
  std::vector<int64_t> starts;  // first event of each window, for tests and diagnostics
};

}  // namespace attnsweep
