// Making windows of customers' event sequences into batches of tensors (transaction_batch.h).
#pragma once

#include <random>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "experiments/data/dataset.h"
#include "experiments/data/transaction_batch.h"

namespace attnsweep {

// Which max_len events of a longer history a window takes: the most recent, the earliest, or a
// random stretch (training only; evaluation always takes the most recent).
enum class Crop { kLast, kFirst, kRandom };
Crop CropFromName(const std::string& name);

// L is the longest window in the batch (at most max_len). `rng` is used by kRandom only.
TransactionBatch MakeBatch(const TransactionDataset& dataset, const std::vector<int64_t>& customers,
                           int64_t max_len, Crop crop, std::mt19937_64* rng);

// The batch's tensors copied to `device` (a GPU); the same batch on the CPU.
TransactionBatch MovedTo(TransactionBatch batch, const c10::Device& device);

}  // namespace attnsweep
