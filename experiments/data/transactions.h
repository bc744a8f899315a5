// Reading the bank-card transaction files (docs/data.md): transactions.csv (or .csv.gz), the labels
// gender_train.csv, and the optional dictionaries tr_mcc_codes.csv and tr_types.csv. Columns are
// found by their header names; every problem is a DataError naming file:line:column and what was
// expected, or, with skip_bad_rows, a skipped and counted row.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace attnsweep {

// The rows of transactions.csv, column by column, in file order.
struct TransactionRows {
  std::vector<int64_t> customer;
  std::vector<int32_t> day;     // days since the start of the data
  std::vector<int32_t> second;  // of the day, 0..86399 (a seconds field of 60 is clipped to 59)
  std::vector<int32_t> mcc;
  std::vector<int32_t> type;
  std::vector<float> amount;  // negative: money leaving the customer
  size_t size() const { return customer.size(); }
};

struct Label {
  int64_t customer;
  int8_t gender;  // 0 or 1
  int64_t line;   // in gender_train.csv, for messages
};

struct ReadOptions {
  bool skip_bad_rows = false;
};

// What reading found besides the rows.
struct ReadReport {
  int64_t rows = 0;                         // data rows read (kept or skipped)
  int64_t skipped = 0;                      // rows skipped as malformed (skip_bad_rows)
  int64_t bytes = 0;                        // uncompressed bytes read
  std::vector<std::string> first_problems;  // the messages of the first few skipped rows
};

// transactions.csv or transactions.csv.gz in `folder`; DataError when neither is there.
std::string TransactionsFile(const std::string& folder);

TransactionRows ReadTransactions(const std::string& path, const ReadOptions& options,
                                 ReadReport* report);
std::vector<Label> ReadLabels(const std::string& path, const ReadOptions& options,
                              ReadReport* report);
// `code;description` files (tr_mcc_codes.csv, tr_types.csv): code -> description.
std::map<int32_t, std::string> ReadDictionary(const std::string& path);

// "<day> HH:MM:SS" (or "<day>" alone): false when the text is not of that form.
bool ParseTransactionTime(std::string_view text, int32_t* day, int32_t* second);

}  // namespace attnsweep
