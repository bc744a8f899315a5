#include "experiments/data/transactions.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "experiments/data/csv_reader.h"
#include "experiments/data/data_error.h"

namespace attnsweep {
namespace {

constexpr size_t kProblemsKept = 5;

// The header's column index of each name in `wanted`; DataError naming what is missing.
std::vector<size_t> FindColumns(const CsvReader& csv, const std::vector<std::string>& wanted,
                                const std::vector<bool>& optional) {
  std::vector<size_t> index(wanted.size(), SIZE_MAX);
  std::string found;
  for (size_t i = 0; i < csv.size(); ++i) {
    std::string_view name = csv.field(i);
    if (i == 0 && name.size() >= 3 && name.substr(0, 3) == "\xEF\xBB\xBF") name.remove_prefix(3);
    found += (found.empty() ? "" : ", ") + std::string(name);
    for (size_t w = 0; w < wanted.size(); ++w) {
      if (name == wanted[w]) index[w] = i;
    }
  }
  for (size_t w = 0; w < wanted.size(); ++w) {
    if (index[w] == SIZE_MAX && !optional[w]) {
      std::string expected;
      for (const auto& name : wanted) expected += (expected.empty() ? "" : ", ") + name;
      throw DataError(csv.path(), csv.line(), 0,
                      "missing column '" + wanted[w] + "' (expected a header with " + expected +
                          "; found: " + found + ")");
    }
  }
  return index;
}

// Reads every data row of `csv` through `parse_row`, which throws DataError for a bad row; with
// skip_bad_rows those are counted instead.
template <typename ParseRow>
void ForEachRow(CsvReader& csv, size_t fields, const ReadOptions& options, ReadReport* report,
                ParseRow parse_row) {
  while (csv.Next()) {
    ++report->rows;
    try {
      if (csv.size() != fields) {
        throw DataError(
            csv.path(), csv.line(), 0,
            "expected " + std::to_string(fields) + " fields, found " + std::to_string(csv.size()));
      }
      parse_row();
    } catch (const DataError& e) {
      if (!options.skip_bad_rows) {
        throw DataError(e.file(), e.line(), e.column(),
                        e.message() + " (data.skip_bad_rows: true skips such rows)");
      }
      ++report->skipped;
      if (report->first_problems.size() < kProblemsKept) report->first_problems.push_back(e.what());
    }
  }
  report->bytes += csv.bytes_read();
}

[[noreturn]] void Bad(const CsvReader& csv, size_t field, const std::string& name,
                      const std::string& expected) {
  throw DataError(
      csv.path(), csv.line(), csv.column(field),
      name + ": expected " + expected + ", got '" + std::string(csv.field(field)) + "'");
}

int64_t IntegerField(const CsvReader& csv, size_t field, const std::string& name) {
  int64_t value;
  if (!ParseInteger(csv.field(field), &value)) Bad(csv, field, name, "an integer");
  return value;
}

int32_t Int32Field(const CsvReader& csv, size_t field, const std::string& name) {
  const int64_t value = IntegerField(csv, field, name);
  if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
    Bad(csv, field, name, "a non-negative 32-bit integer");
  }
  return static_cast<int32_t>(value);
}

bool TwoDigits(std::string_view text, size_t at, int max, int* value) {
  if (at + 2 > text.size() || text[at] < '0' || text[at] > '9' || text[at + 1] < '0' ||
      text[at + 1] > '9') {
    return false;
  }
  *value = (text[at] - '0') * 10 + (text[at + 1] - '0');
  return *value <= max;
}

}  // namespace

bool ParseTransactionTime(std::string_view text, int32_t* day, int32_t* second) {
  const size_t space = text.find(' ');
  int64_t days;
  if (!ParseInteger(text.substr(0, space), &days) || days < 0 || days > 1000000) return false;
  *day = static_cast<int32_t>(days);
  *second = 0;
  if (space == std::string_view::npos) return true;
  const std::string_view clock = text.substr(space + 1);
  int h, m, s;
  if (clock.size() != 8 || clock[2] != ':' || clock[5] != ':' || !TwoDigits(clock, 0, 23, &h) ||
      !TwoDigits(clock, 3, 59, &m) || !TwoDigits(clock, 6, 60, &s)) {
    return false;
  }
  *second = h * 3600 + m * 60 + std::min(s, 59);  // the real data has seconds of 60
  return true;
}

std::string TransactionsFile(const std::string& folder) {
  namespace fs = std::filesystem;
  for (const char* name : {"transactions.csv", "transactions.csv.gz"}) {
    if (fs::exists(fs::path(folder) / name)) return (fs::path(folder) / name).string();
  }
  throw DataError(folder, 0, 0,
                  "no transactions.csv or transactions.csv.gz here (data.path must name the "
                  "folder holding the data files)");
}

TransactionRows ReadTransactions(const std::string& path, const ReadOptions& options,
                                 ReadReport* report) {
  CsvReader csv(path, ',');
  if (!csv.Next()) throw DataError(path, 1, 0, "empty file: expected a header line");
  const auto column =
      FindColumns(csv, {"customer_id", "tr_datetime", "mcc_code", "tr_type", "amount", "term_id"},
                  {false, false, false, false, false, true});
  const size_t fields = csv.size();
  TransactionRows rows;
  ForEachRow(csv, fields, options, report, [&] {
    const int64_t customer = IntegerField(csv, column[0], "customer_id");
    int32_t day, second;
    if (!ParseTransactionTime(csv.field(column[1]), &day, &second)) {
      Bad(csv, column[1], "tr_datetime", "\"<day> HH:MM:SS\"");
    }
    const int32_t mcc = Int32Field(csv, column[2], "mcc_code");
    const int32_t type = Int32Field(csv, column[3], "tr_type");
    double amount;
    if (!ParseReal(csv.field(column[4]), &amount) || !std::isfinite(amount)) {
      Bad(csv, column[4], "amount", "a number");
    }
    rows.customer.push_back(customer);
    rows.day.push_back(day);
    rows.second.push_back(second);
    rows.mcc.push_back(mcc);
    rows.type.push_back(type);
    rows.amount.push_back(static_cast<float>(amount));
  });
  return rows;
}

std::vector<Label> ReadLabels(const std::string& path, const ReadOptions& options,
                              ReadReport* report) {
  CsvReader csv(path, ',');
  if (!csv.Next()) throw DataError(path, 1, 0, "empty file: expected a header line");
  const auto column = FindColumns(csv, {"customer_id", "gender"}, {false, false});
  std::vector<Label> labels;
  ForEachRow(csv, csv.size(), options, report, [&] {
    const int64_t customer = IntegerField(csv, column[0], "customer_id");
    const int64_t gender = IntegerField(csv, column[1], "gender");
    if (gender != 0 && gender != 1) Bad(csv, column[1], "gender", "0 or 1");
    labels.push_back({customer, static_cast<int8_t>(gender), csv.line()});
  });
  return labels;
}

std::map<int32_t, std::string> ReadDictionary(const std::string& path) {
  CsvReader csv(path, ';');
  if (!csv.Next()) throw DataError(path, 1, 0, "empty file: expected a header line");
  std::map<int32_t, std::string> entries;
  ReadReport report;
  ForEachRow(csv, 2, ReadOptions(), &report,
             [&] { entries[Int32Field(csv, 0, "code")] = std::string(csv.field(1)); });
  return entries;
}

}  // namespace attnsweep
