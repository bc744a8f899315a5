#include "experiments/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <unordered_map>

#include "experiments/data/data_error.h"

namespace attnsweep {
namespace {

// Bumped whenever what BuildDataset computes, or the file layout, changes.
constexpr uint32_t kDatasetFormatVersion = 1;
constexpr char kMagic[8] = {'A', 'T', 'S', 'W', 'D', 'A', 'T', 'A'};

uint64_t Mix(uint64_t x) {  // SplitMix64's finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Vocabulary of the codes seen in `train_events`, by falling count then code.
std::vector<int32_t> Vocabulary(const std::vector<int32_t>& codes,
                                const std::vector<int64_t>& train_events) {
  std::unordered_map<int32_t, int64_t> counts;
  for (int64_t e : train_events) ++counts[codes[e]];
  std::vector<std::pair<int32_t, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<int32_t> vocabulary;
  for (const auto& [code, count] : sorted) vocabulary.push_back(code);
  return vocabulary;
}

std::vector<int32_t> Encode(const std::vector<int32_t>& codes, const std::vector<int64_t>& order,
                            const std::vector<int32_t>& vocabulary) {
  std::unordered_map<int32_t, int32_t> index;
  for (size_t i = 0; i < vocabulary.size(); ++i) index[vocabulary[i]] = static_cast<int32_t>(i) + 2;
  std::vector<int32_t> encoded(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    auto it = index.find(codes[order[i]]);
    encoded[i] = it == index.end() ? kUnseenIndex : it->second;
  }
  return encoded;
}

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

template <typename T>
void WriteArray(FILE* out, const std::vector<T>& values) {
  const uint64_t n = values.size();
  fwrite(&n, sizeof n, 1, out);
  if (n) fwrite(values.data(), sizeof(T), n, out);
}

template <typename T>
void ReadArray(FILE* in, const std::string& path, std::vector<T>* values) {
  uint64_t n = 0;
  if (fread(&n, sizeof n, 1, in) != 1 || n > (uint64_t{1} << 40) / sizeof(T)) {
    throw DataError(path, 0, 0, "truncated or corrupt prepared-data file (delete it to rebuild)");
  }
  values->resize(n);
  if (n && fread(values->data(), sizeof(T), n, in) != n) {
    throw DataError(path, 0, 0, "truncated prepared-data file (delete it to rebuild)");
  }
}

// Every array of the dataset, in file order, for one reader or writer.
template <typename Dataset, typename Visit>
void VisitArrays(Dataset& d, Visit visit) {
  visit(d.customer_ids);
  visit(d.labels);
  visit(d.splits);
  visit(d.offsets);
  visit(d.mcc);
  visit(d.type);
  visit(d.amount);
  visit(d.weekday);
  visit(d.hour);
  visit(d.gap_days);
  visit(d.time_days);
  visit(d.mcc_codes);
  visit(d.type_codes);
}

}  // namespace

Split SplitOf(int64_t customer_id, uint64_t seed, double test_fraction,
              double validation_fraction) {
  const uint64_t h = Mix(static_cast<uint64_t>(customer_id) ^ Mix(seed));
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  if (u < test_fraction) return Split::kTest;
  if (u < test_fraction + validation_fraction) return Split::kValidation;
  return Split::kTrain;
}

std::vector<int64_t> TransactionDataset::CustomersOf(Split split) const {
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < customers(); ++i) {
    if (splits[i] == static_cast<int8_t>(split)) chosen.push_back(i);
  }
  return chosen;
}

TransactionDataset BuildDataset(const TransactionRows& rows, const std::vector<Label>& labels,
                                const DatasetOptions& options, const std::string& labels_path) {
  TransactionDataset d;
  d.rows_read = static_cast<int64_t>(rows.size());
  // Labels by customer id, each customer once: a second label for a customer is an error, or
  // (skip_bad_rows) skipped and counted, the first in the file kept.
  std::vector<Label> sorted_labels = labels;
  std::stable_sort(sorted_labels.begin(), sorted_labels.end(),
                   [](const Label& a, const Label& b) { return a.customer < b.customer; });
  std::vector<Label> distinct;
  for (const Label& label : sorted_labels) {
    if (distinct.empty() || distinct.back().customer != label.customer) {
      distinct.push_back(label);
      continue;
    }
    if (!options.skip_bad_rows) {
      throw DataError(
          labels_path, label.line, 1,
          "customer " + std::to_string(label.customer) + " is labelled twice (first on line " +
              std::to_string(distinct.back().line) + "; data.skip_bad_rows: true keeps the first)");
    }
    ++d.labels_skipped;
  }
  sorted_labels = std::move(distinct);
  // Each row finds its customer's index (rows come grouped, so the last lookup usually answers).
  std::unordered_map<int64_t, int32_t> index_of;
  for (const Label& label : sorted_labels) {
    index_of.emplace(label.customer, static_cast<int32_t>(index_of.size()));
  }
  std::vector<int32_t> customer_of(rows.size(), -1);
  std::vector<int64_t> count(sorted_labels.size(), 0);
  std::unordered_map<int64_t, bool> unlabelled;
  int64_t last_id = std::numeric_limits<int64_t>::min();
  int32_t last_index = -1;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows.customer[r] != last_id) {
      last_id = rows.customer[r];
      auto it = index_of.find(last_id);
      last_index = it == index_of.end() ? -1 : it->second;
      if (last_index < 0) unlabelled[last_id] = true;
    }
    customer_of[r] = last_index;
    if (last_index >= 0) ++count[last_index];
  }
  d.unlabelled_customers = static_cast<int64_t>(unlabelled.size());
  // Labels without transactions: an error, or skipped.
  std::vector<int32_t> new_index(sorted_labels.size(), -1);
  for (size_t i = 0; i < sorted_labels.size(); ++i) {
    if (count[i] == 0) {
      if (!options.skip_bad_rows) {
        throw DataError(labels_path, sorted_labels[i].line, 1,
                        "customer " + std::to_string(sorted_labels[i].customer) +
                            " has no transactions (data.skip_bad_rows: true skips such labels)");
      }
      ++d.labels_skipped;
      continue;
    }
    new_index[i] = static_cast<int32_t>(d.customer_ids.size());
    d.customer_ids.push_back(sorted_labels[i].customer);
    d.labels.push_back(sorted_labels[i].gender);
    d.splits.push_back(
        static_cast<int8_t>(SplitOf(sorted_labels[i].customer, options.seed, options.test_fraction,
                                    options.validation_fraction)));
  }
  // Events of labelled customers, by (customer, time, file order).
  std::vector<int64_t> order;
  order.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    if (customer_of[r] >= 0) order.push_back(static_cast<int64_t>(r));
  }
  auto key = [&](int64_t r) {
    return (static_cast<uint64_t>(new_index[customer_of[r]]) << 40) |
           (static_cast<uint64_t>(rows.day[r]) << 17) | static_cast<uint64_t>(rows.second[r]);
  };
  std::vector<std::pair<uint64_t, int64_t>> keyed(order.size());
  for (size_t i = 0; i < order.size(); ++i) keyed[i] = {key(order[i]), order[i]};
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < order.size(); ++i) order[i] = keyed[i].second;
  keyed.clear();
  keyed.shrink_to_fit();

  d.offsets.assign(d.customer_ids.size() + 1, 0);
  for (int64_t r : order) ++d.offsets[new_index[customer_of[r]] + 1];
  std::partial_sum(d.offsets.begin(), d.offsets.end(), d.offsets.begin());

  std::vector<int64_t> train_events;
  for (int64_t r : order) {
    if (d.splits[new_index[customer_of[r]]] == static_cast<int8_t>(Split::kTrain)) {
      train_events.push_back(r);
    }
  }
  d.mcc_codes = Vocabulary(rows.mcc, train_events);
  d.type_codes = Vocabulary(rows.type, train_events);
  d.mcc = Encode(rows.mcc, order, d.mcc_codes);
  d.type = Encode(rows.type, order, d.type_codes);

  const size_t n = order.size();
  d.amount.resize(n);
  d.weekday.resize(n);
  d.hour.resize(n);
  d.gap_days.resize(n);
  d.time_days.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t r = order[i];
    const double x = rows.amount[r];
    d.amount[i] = static_cast<float>(std::copysign(std::log1p(std::fabs(x)), x));
    d.weekday[i] = static_cast<int8_t>(rows.day[r] % 7);
    d.hour[i] = static_cast<int8_t>(rows.second[r] / 3600);
    d.time_days[i] = rows.day[r] + rows.second[r] / 86400.0;
  }
  for (int64_t c = 0; c < d.customers(); ++c) {
    for (int64_t e = d.offsets[c]; e < d.offsets[c + 1]; ++e) {
      d.gap_days[e] =
          e == d.offsets[c] ? 0.0f : static_cast<float>(d.time_days[e] - d.time_days[e - 1]);
    }
  }
  return d;
}

TransactionDataset ReadCsvDataset(const std::string& folder, const DatasetOptions& options,
                                  ReadReport* report) {
  ReadReport local;
  if (report == nullptr) report = &local;
  ReadOptions read;
  read.skip_bad_rows = options.skip_bad_rows;
  const std::string labels_path = (std::filesystem::path(folder) / "gender_train.csv").string();
  const TransactionRows rows = ReadTransactions(TransactionsFile(folder), read, report);
  const int64_t skipped_transactions = report->skipped;
  const std::vector<Label> labels = ReadLabels(labels_path, read, report);
  TransactionDataset dataset = BuildDataset(rows, labels, options, labels_path);
  dataset.rows_skipped = skipped_transactions;
  return dataset;
}

void SaveDataset(const TransactionDataset& dataset, const std::string& path) {
  File out(fopen(path.c_str(), "wb"));
  if (!out) throw DataError(path, 0, 0, std::string("cannot write: ") + std::strerror(errno));
  fwrite(kMagic, 1, sizeof kMagic, out.get());
  fwrite(&kDatasetFormatVersion, sizeof kDatasetFormatVersion, 1, out.get());
  const int64_t counts[] = {dataset.rows_read, dataset.rows_skipped, dataset.labels_skipped,
                            dataset.unlabelled_customers};
  fwrite(counts, sizeof counts, 1, out.get());
  VisitArrays(dataset, [&](const auto& array) { WriteArray(out.get(), array); });
  if (fflush(out.get()) != 0 || ferror(out.get())) {
    throw DataError(path, 0, 0, std::string("write failed: ") + std::strerror(errno));
  }
}

TransactionDataset LoadDataset(const std::string& path) {
  File in(fopen(path.c_str(), "rb"));
  if (!in) throw DataError(path, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  char magic[sizeof kMagic];
  uint32_t version = 0;
  if (fread(magic, 1, sizeof magic, in.get()) != sizeof magic ||
      std::memcmp(magic, kMagic, sizeof magic) != 0 ||
      fread(&version, sizeof version, 1, in.get()) != 1) {
    throw DataError(path, 0, 0, "not a prepared-data file");
  }
  if (version != kDatasetFormatVersion) {
    throw DataError(path, 0, 0,
                    "prepared-data format " + std::to_string(version) + ", this build reads " +
                        std::to_string(kDatasetFormatVersion));
  }
  TransactionDataset d;
  int64_t counts[4];
  if (fread(counts, sizeof counts, 1, in.get()) != 1) {
    throw DataError(path, 0, 0, "truncated prepared-data file (delete it to rebuild)");
  }
  d.rows_read = counts[0];
  d.rows_skipped = counts[1];
  d.labels_skipped = counts[2];
  d.unlabelled_customers = counts[3];
  VisitArrays(d, [&](auto& array) { ReadArray(in.get(), path, &array); });
  if (d.offsets.size() != d.customer_ids.size() + 1 ||
      (d.offsets.empty() ? 0 : d.offsets.back()) != d.events()) {
    throw DataError(path, 0, 0, "inconsistent prepared-data file (delete it to rebuild)");
  }
  return d;
}

}  // namespace attnsweep
