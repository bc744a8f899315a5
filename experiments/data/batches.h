// Windows of customers' event sequences as LibTorch tensors: at most max_len events each, real
// events first and padding after (trailing padding, as every variant assumes), and a mask.
#pragma once

#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "experiments/data/dataset.h"

namespace attnsweep {

// Which max_len events of a longer history a window takes: the most recent, the earliest, or a
// random stretch (training only; evaluation always takes the most recent).
enum class Crop { kLast, kFirst, kRandom };
Crop CropFromName(const std::string& name);

struct TransactionBatch {
  at::Tensor mcc, type;      // (B, L) int64 vocabulary indices; 0 at padding
  at::Tensor weekday, hour;  // (B, L) int64, 1 + value; 0 at padding
  at::Tensor numeric;        // (B, L, 2) float: sign(x) ln(1 + |x|) of the amount, ln(1 + gap days)
  at::Tensor padding_mask;   // (B, L) bool, true at padding
  at::Tensor labels;         // (B) float, 0 or 1
  std::vector<int64_t> starts;  // first event of each window, for tests and diagnostics
};

// L is the longest window in the batch (at most max_len). `rng` is used by kRandom only.
TransactionBatch MakeBatch(const TransactionDataset& dataset, const std::vector<int64_t>& customers,
                           int64_t max_len, Crop crop, std::mt19937_64* rng);

// The batch's tensors copied to `device` (a GPU); the same batch on the CPU.
TransactionBatch MovedTo(TransactionBatch batch, const c10::Device& device);

}  // namespace attnsweep
