// The labelled customers' transaction sequences, ready for models: events sorted by time within
// each customer, categories encoded by frequency rank on the training split, numeric features
// computed. Plain arrays (no LibTorch), saved to and loaded from one binary file (the prepared-data
// cache).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiments/data/transactions.h"

namespace attnsweep {

enum class Split : int8_t { kTrain = 0, kValidation = 1, kTest = 2 };

// A customer's split, from its id and the seed alone: the same customer lands in the same split
// whatever else the files hold or in what order.
Split SplitOf(int64_t customer_id, uint64_t seed, double test_fraction, double validation_fraction);

struct DatasetOptions {
  uint64_t seed = 1;  // of the split
  double test_fraction = 0.1;
  double validation_fraction = 0.1;
  bool skip_bad_rows = false;  // also: labels of customers without transactions are skipped
};

// Vocabulary indices: 0 is padding, 1 a category the training split never showed, 2.. the training
// split's categories by falling frequency (ties by code).
constexpr int32_t kPaddingIndex = 0;
constexpr int32_t kUnseenIndex = 1;

struct TransactionDataset {
  // One entry per labelled customer, by customer id.
  std::vector<int64_t> customer_ids;
  std::vector<int8_t> labels;
  std::vector<int8_t> splits;    // Split values
  std::vector<int64_t> offsets;  // customer i's events are [offsets[i], offsets[i + 1])
  // One entry per event, sorted by time within each customer (ties keep file order).
  std::vector<int32_t> mcc;       // vocabulary index
  std::vector<int32_t> type;      // vocabulary index
  std::vector<float> amount;      // sign(x) ln(1 + |x|)
  std::vector<int8_t> weekday;    // day mod 7
  std::vector<int8_t> hour;       // 0..23
  std::vector<float> gap_days;    // days since the customer's previous event; 0 for the first
  std::vector<double> time_days;  // day + second / 86400
  // Vocabularies: the code of index i is codes[i - 2].
  std::vector<int32_t> mcc_codes;
  std::vector<int32_t> type_codes;
  // What reading found.
  int64_t rows_read = 0, rows_skipped = 0, labels_skipped = 0, unlabelled_customers = 0;

  int64_t customers() const { return static_cast<int64_t>(customer_ids.size()); }
  int64_t events() const { return static_cast<int64_t>(mcc.size()); }
  int64_t length(int64_t customer) const { return offsets[customer + 1] - offsets[customer]; }
  int32_t mcc_vocabulary() const { return static_cast<int32_t>(mcc_codes.size()) + 2; }
  int32_t type_vocabulary() const { return static_cast<int32_t>(type_codes.size()) + 2; }
  // Customers of one split, in id order.
  std::vector<int64_t> CustomersOf(Split split) const;
};

// From rows and labels already read; `labels_path` names the labels file in messages. A label for
// a customer without transactions is a DataError (skipped and counted with skip_bad_rows).
TransactionDataset BuildDataset(const TransactionRows& rows, const std::vector<Label>& labels,
                                const DatasetOptions& options, const std::string& labels_path);

// Reads transactions and labels from `folder` and builds the dataset.
TransactionDataset ReadCsvDataset(const std::string& folder, const DatasetOptions& options,
                                  ReadReport* report = nullptr);

// The binary form; LoadDataset throws DataError for a file that is not one, or of another version.
void SaveDataset(const TransactionDataset& dataset, const std::string& path);
TransactionDataset LoadDataset(const std::string& path);

}  // namespace attnsweep
