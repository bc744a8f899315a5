// Reading, generating and preparing transaction data: hand-written files with known answers, the
// generator's round trip, splits, every bad-input message, gzip, and the prepared-data cache.
#include <gtest/gtest.h>

#include "tests/scratch_dir_test.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "experiments/base/sha256.h"
#include "experiments/data/csv_reader.h"
#include "experiments/data/data_error.h"
#include "experiments/data/data_fingerprint.h"
#include "experiments/data/dataset.h"
#include "experiments/data/prepared_data.h"
#include "experiments/data/synthetic.h"
#include "experiments/data/transactions.h"
#include "experiments/roc_auc.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class DataTest : public ScratchDirTest {
 protected:
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // The message of the DataError `body` throws, or "" when it throws none.
  template <typename Body>
  std::string ErrorOf(Body body) {
    try {
      body();
    } catch (const DataError& e) {
      return e.what();
    }
    return "";
  }
};

// Two labelled customers, five rows, out of order, one with seconds of 60.
const char* kFiveRows =
    "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n"
    "7,9 23:59:60,5411,1010,-99.5,\n"
    "7,2 10:30:00,6011,2010,-1000,123\n"
    "8,0 00:00:00,5411,7070,2500.25,\n"
    "7,2 08:15:00,5411,1010,-0.5,\n"
    "8,14 13:00:00,4814,1030,0,\n";

TEST_F(DataTest, FeaturesOfAHandWrittenFile) {
  Write("transactions.csv", kFiveRows);
  Write("gender_train.csv", "customer_id,gender\n8,1\n7,0\n");
  DatasetOptions options;
  options.test_fraction = 0;
  options.validation_fraction = 0;  // every customer trains: the vocabulary sees every row
  const TransactionDataset d = ReadCsvDataset(dir_.string(), options);
  ASSERT_EQ(d.customers(), 2);
  EXPECT_EQ(d.customer_ids, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(d.labels, (std::vector<int8_t>{0, 1}));
  EXPECT_EQ(d.offsets, (std::vector<int64_t>{0, 3, 5}));
  // 5411 occurs 3 times, then 4814 and 6011 once each (ties by code): indices 2, 3, 4.
  EXPECT_EQ(d.mcc_codes, (std::vector<int32_t>{5411, 4814, 6011}));
  // Customer 7 sorted by time: day 2 08:15, day 2 10:30, day 9 23:59:59.
  EXPECT_EQ(d.mcc, (std::vector<int32_t>{2, 4, 2, 2, 3}));
  EXPECT_DOUBLE_EQ(d.time_days[0], 2 + (8 * 3600 + 15 * 60) / 86400.0);
  EXPECT_DOUBLE_EQ(d.time_days[2], 9 + 86399 / 86400.0);  // :60 clipped to :59
  EXPECT_FLOAT_EQ(d.amount[0], static_cast<float>(-std::log1p(0.5)));
  EXPECT_FLOAT_EQ(d.amount[1], static_cast<float>(-std::log1p(1000.0)));
  EXPECT_FLOAT_EQ(d.amount[3], static_cast<float>(std::log1p(2500.25)));
  EXPECT_FLOAT_EQ(d.amount[4], 0.0f);
  EXPECT_EQ(d.weekday, (std::vector<int8_t>{2, 2, 2, 0, 0}));
  EXPECT_EQ(d.hour, (std::vector<int8_t>{8, 10, 23, 0, 13}));
  EXPECT_FLOAT_EQ(d.gap_days[0], 0.0f);
  EXPECT_FLOAT_EQ(d.gap_days[1], 2.25f / 24.0f);
  EXPECT_NEAR(d.gap_days[2], 7 + (86399 - 37800) / 86400.0, 1e-5);
  EXPECT_FLOAT_EQ(d.gap_days[3], 0.0f);  // customer 8's first event
  EXPECT_NEAR(d.gap_days[4], 14 + 13 / 24.0, 1e-5);
}

TEST_F(DataTest, CategoriesUnseenInTrainingGetTheReservedIndex) {
  Write("transactions.csv", kFiveRows);
  Write("gender_train.csv", "customer_id,gender\n8,1\n7,0\n");
  // Find a seed that puts customer 8 in the test split and 7 in training.
  uint64_t seed = 0;
  while (SplitOf(8, seed, 0.5, 0) != Split::kTest || SplitOf(7, seed, 0.5, 0) != Split::kTrain)
    ++seed;
  DatasetOptions options;
  options.seed = seed;
  options.test_fraction = 0.5;
  options.validation_fraction = 0;
  const TransactionDataset d = ReadCsvDataset(dir_.string(), options);
  // Training saw 5411 (twice) and 6011; customer 8's 4814 was never seen in training.
  EXPECT_EQ(d.mcc_codes, (std::vector<int32_t>{5411, 6011}));
  EXPECT_EQ(d.mcc[4], kUnseenIndex);
  EXPECT_EQ(d.mcc[3], 2);
}

TEST_F(DataTest, SplitsAreDeterministicAndProportioned) {
  std::map<Split, int> counts;
  for (int64_t id = 1000; id < 21000; ++id) {
    const Split split = SplitOf(id, 5, 0.1, 0.1);
    EXPECT_EQ(split, SplitOf(id, 5, 0.1, 0.1));
    ++counts[split];
  }
  EXPECT_NEAR(counts[Split::kTest] / 20000.0, 0.1, 0.01);
  EXPECT_NEAR(counts[Split::kValidation] / 20000.0, 0.1, 0.01);
  int moved = 0;
  for (int64_t id = 1000; id < 2000; ++id)
    moved += SplitOf(id, 5, 0.1, 0.1) != SplitOf(id, 6, 0.1, 0.1);
  EXPECT_GT(moved, 100);  // another seed, another split
}

TEST_F(DataTest, GeneratedSetRoundTrips) {
  SyntheticOptions options;
  options.customers = 300;
  options.seed = 4;
  const SyntheticSummary summary = GenerateSynthetic(options, dir_.string());
  EXPECT_EQ(summary.customers, 300);
  EXPECT_EQ(summary.labelled, 168);  // 56 %
  ReadReport report;
  DatasetOptions dataset_options;
  const TransactionDataset d = ReadCsvDataset(dir_.string(), dataset_options, &report);
  EXPECT_EQ(report.rows, summary.rows + summary.labelled);  // transactions and label rows
  EXPECT_EQ(d.rows_read, summary.rows);
  EXPECT_EQ(d.customers(), 168);
  EXPECT_EQ(d.unlabelled_customers, 132);
  EXPECT_EQ(report.skipped, 0);
  for (int64_t c = 0; c < d.customers(); ++c) {
    for (int64_t e = d.offsets[c] + 1; e < d.offsets[c + 1]; ++e) {
      ASSERT_LE(d.time_days[e - 1], d.time_days[e]) << "customer " << c;
    }
  }
  // Vocabularies hold codes by falling training frequency; the leaders are the real data's.
  const std::set<int32_t> leaders(d.mcc_codes.begin(), d.mcc_codes.begin() + 4);
  EXPECT_EQ(leaders, (std::set<int32_t>{6011, 6010, 4814, 5411}));
  EXPECT_LE(d.mcc_codes.size(), 184u);
  int negative = 0;
  for (float a : d.amount) negative += a < 0;
  EXPECT_NEAR(negative / double(d.events()), 0.81, 0.04);
  // The dictionaries are written in their own format.
  EXPECT_EQ(ReadDictionary(Path("tr_mcc_codes.csv")).size(), 184u);
  EXPECT_EQ(ReadDictionary(Path("tr_types.csv")).size(), 77u);
  // The same options write the same bytes.
  const fs::path again = dir_ / "again";
  GenerateSynthetic(options, again.string());
  std::ifstream a(dir_ / "transactions.csv"), b(again / "transactions.csv");
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), std::istreambuf_iterator<char>(),
                         std::istreambuf_iterator<char>(b), std::istreambuf_iterator<char>()));
}

// Sets of independent events are the bytes the generator wrote before chains existed: the digests
// below are those of the generator of 2026-12-02 (commit 2f72a5b), for these options.
TEST_F(DataTest, IndependentEventsAreWrittenAsBeforeChainsExisted) {
  SyntheticOptions options;
  options.customers = 200;
  options.seed = 7;
  options.signal = 1.3;
  options.reach = 0.4;
  GenerateSynthetic(options, dir_.string());
  auto digest = [&](const char* name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    Sha256 hasher;
    hasher.Update(std::string(std::istreambuf_iterator<char>(in), {}));
    return hasher.HexDigest();
  };
  EXPECT_EQ(digest("transactions.csv"),
            "70fea6efa6f0d595e13b25979ff0d9b3225cab56be53f017e759c77b33c4c44f");
  EXPECT_EQ(digest("gender_train.csv"),
            "f9a08a2dbe7cbc568774a56afa14d64b465c34b58ff99d295322dfae5b2644ea");
}

// markov_v1: the events a customer's history holds follow the chain the oracle describes. For
// the most common categories, the share of each next category over all their occurrences matches
// the oracle's probabilities averaged over the same occurrences, and the median gap after them
// matches the oracle's median.
TEST_F(DataTest, AMarkovChainSetFollowsItsOracle) {
  SyntheticOptions options;
  options.customers = 600;
  options.seed = 3;
  options.sequence = "markov_v1";
  GenerateSynthetic(options, dir_.string());
  const TransactionDataset d = ReadCsvDataset(dir_.string(), DatasetOptions());
  const SyntheticSequenceOracle oracle(options);
  const auto& codes = oracle.codes();
  for (int32_t index : {2, 3, 4}) {  // the three most common categories in training
    const int32_t code = d.mcc_codes[index - 2];
    std::vector<double> seen(codes.size()), expected(codes.size());
    std::vector<double> gaps;
    double count = 0;
    for (int64_t c = 0; c < d.customers(); ++c) {
      for (int64_t e = d.offsets[c]; e + 1 < d.offsets[c + 1]; ++e) {
        if (d.mcc[e] != index || d.mcc[e + 1] < 2) continue;
        const auto p = oracle.NextCategory(d.customer_ids[c], code);
        ASSERT_EQ(p.size(), codes.size());
        for (size_t k = 0; k < p.size(); ++k) expected[k] += p[k];
        const int32_t next = d.mcc_codes[d.mcc[e + 1] - 2];
        seen[std::find(codes.begin(), codes.end(), next) - codes.begin()] += 1;
        gaps.push_back(d.gap_days[e + 1]);
        count += 1;
      }
    }
    ASSERT_GT(count, 2000) << code;
    double largest = 0;
    for (size_t k = 0; k < codes.size(); ++k) {
      // Binomial noise of a share near 0.3 over this many occurrences is below 0.011.
      largest = std::max(largest, std::abs(seen[k] / count - expected[k] / count));
    }
    EXPECT_LT(largest, 0.035) << "category " << code;
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    EXPECT_NEAR(gaps[gaps.size() / 2] / oracle.MedianGapDays(code), 1.0, 0.1) << code;
  }
  // Each row of the chain is a distribution.
  for (int32_t code : {6011, 5411, 7995}) {
    const auto p = oracle.NextCategory(d.customer_ids[0], code);
    EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-12);
  }
  EXPECT_TRUE(oracle.NextCategory(d.customer_ids[0], 1234).empty());
  EXPECT_THROW(SyntheticSequenceOracle{SyntheticOptions()}, std::invalid_argument);
}

TEST_F(DataTest, GzippedTransactionsReadTheSame) {
  Write("transactions.csv", kFiveRows);
  ASSERT_EQ(std::system(("gzip -k " + Path("transactions.csv")).c_str()), 0);
  ReadReport plain_report, gz_report;
  const auto plain = ReadTransactions(Path("transactions.csv"), {}, &plain_report);
  const auto gz = ReadTransactions(Path("transactions.csv.gz"), {}, &gz_report);
  EXPECT_EQ(plain.customer, gz.customer);
  EXPECT_EQ(plain.amount, gz.amount);
  EXPECT_EQ(gz_report.bytes, plain_report.bytes);
  Write("broken.csv.gz", "not gzip at all");
  EXPECT_NE(ErrorOf([&] {
              ReadReport r;
              ReadTransactions(Path("broken.csv.gz"), {}, &r);
            }).find("gzip could not decompress it"),
            std::string::npos);
}

TEST_F(DataTest, EveryBadInputNamesItsPlace) {
  ReadReport report;
  auto read = [&](const std::string& text, bool skip = false) {
    Write("t.csv", text);
    ReadOptions options;
    options.skip_bad_rows = skip;
    report = ReadReport();
    ReadTransactions(Path("t.csv"), options, &report);
  };
  const std::string t = Path("t.csv");
  EXPECT_EQ(ErrorOf([&] { read(""); }), t + ":1: empty file: expected a header line");
  EXPECT_NE(ErrorOf([&] {
              read("customer_id,tr_datetime,mcc_code,tr_type,term_id\n");
            }).find(t + ":1: missing column 'amount'"),
            std::string::npos);
  const std::string header = "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n";
  EXPECT_EQ(ErrorOf([&] { read(header + "1,0 10:00:00,5411,1010,-5,\n1,0 10:00:00,5411\n"); }),
            t + ":3: expected 6 fields, found 3 (data.skip_bad_rows: true skips such rows)");
  EXPECT_EQ(ErrorOf([&] { read(header + "1,0 25:00:00,5411,1010,-5,\n"); }),
            t + ":2:3: tr_datetime: expected \"<day> HH:MM:SS\", got '0 25:00:00' "
                "(data.skip_bad_rows: true skips such rows)");
  EXPECT_EQ(ErrorOf([&] { read(header + "1,0 10:00:00,5411,1010,abc,\n"); }),
            t + ":2:24: amount: expected a number, got 'abc' (data.skip_bad_rows: true skips such "
                "rows)");
  EXPECT_EQ(ErrorOf([&] { read(header + "x1,0 10:00:00,5411,1010,-5,\n"); }),
            t + ":2:1: customer_id: expected an integer, got 'x1' (data.skip_bad_rows: true skips "
                "such rows)");
  // Skipped and counted instead, the good rows kept.
  read(header + "1,0 10:00:00,5411,1010,-5,\nbad\n1,1 10:00:00,5411,1010,abc,\n2,3,4814,1030,7,\n",
       true);
  EXPECT_EQ(report.rows, 4);
  EXPECT_EQ(report.skipped, 2);
  ASSERT_EQ(report.first_problems.size(), 2u);
  EXPECT_EQ(report.first_problems[0], t + ":3: expected 6 fields, found 1");
  // Labels: gender must be 0 or 1; a labelled customer must have transactions.
  Write("gender_train.csv", "customer_id,gender\n1,2\n");
  EXPECT_EQ(
      ErrorOf([&] {
        ReadReport r;
        ReadLabels(Path("gender_train.csv"), {}, &r);
      }),
      Path("gender_train.csv") +
          ":2:3: gender: expected 0 or 1, got '2' (data.skip_bad_rows: true skips such rows)");
  Write("transactions.csv", header + "1,0 10:00:00,5411,1010,-5,\n");
  Write("gender_train.csv", "customer_id,gender\n1,0\n99,1\n");
  EXPECT_EQ(
      ErrorOf([&] { ReadCsvDataset(dir_.string(), {}); }),
      Path("gender_train.csv") +
          ":3:1: customer 99 has no transactions (data.skip_bad_rows: true skips such labels)");
  DatasetOptions skip;
  skip.skip_bad_rows = true;
  EXPECT_EQ(ReadCsvDataset(dir_.string(), skip).labels_skipped, 1);
  // A customer labelled twice: an error naming both lines, or the first label kept.
  Write("gender_train.csv", "customer_id,gender\n1,0\n1,1\n");
  EXPECT_EQ(ErrorOf([&] { ReadCsvDataset(dir_.string(), {}); }),
            Path("gender_train.csv") +
                ":3:1: customer 1 is labelled twice (first on line 2; data.skip_bad_rows: true "
                "keeps the first)");
  const TransactionDataset kept = ReadCsvDataset(dir_.string(), skip);
  EXPECT_EQ(kept.labels_skipped, 1);
  EXPECT_EQ(kept.labels, (std::vector<int8_t>{0}));
  // Missing files.
  EXPECT_NE(ErrorOf([&] {
              TransactionsFile((dir_ / "nowhere").string());
            }).find("no transactions.csv or transactions.csv.gz here"),
            std::string::npos);
  fs::remove(dir_ / "gender_train.csv");
  EXPECT_NE(ErrorOf([&] {
              ReadCsvDataset(dir_.string(), {});
            }).find("gender_train.csv: cannot open: No such file or directory"),
            std::string::npos);
}

TEST_F(DataTest, QuotedFieldsAndLineEndings) {
  Write("d.csv", "code;description\r\n5411;\"grocery; and more\"\r\n6011;\"say \"\"cash\"\"\"\r\n");
  const auto entries = ReadDictionary(Path("d.csv"));
  EXPECT_EQ(entries.at(5411), "grocery; and more");
  EXPECT_EQ(entries.at(6011), "say \"cash\"");
}

TEST(CacheRoot, WithoutHomeIsTheAccountsHomeNeverASharedFolder) {
  // Each variable as the test found it, put back at the end.
  std::map<std::string, std::optional<std::string>> kept;
  for (const char* name : {"ATTNSWEEP_CACHE", "XDG_CACHE_HOME", "HOME"}) {
    const char* value = std::getenv(name);
    kept[name] = value ? std::optional<std::string>(value) : std::nullopt;
    unsetenv(name);
  }
  const passwd* account = getpwuid(getuid());
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(CacheRoot(), std::string(account->pw_dir) + "/.cache/attnsweep");
  setenv("HOME", "/somewhere", 1);
  EXPECT_EQ(CacheRoot(), "/somewhere/.cache/attnsweep");
  setenv("ATTNSWEEP_CACHE", "/mine", 1);
  EXPECT_EQ(CacheRoot(), "/mine");
  for (const auto& [name, value] : kept) {
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }
}

TEST_F(DataTest, PreparedDataIsBuiltOnceThenLoaded) {
  SyntheticOptions options;
  options.customers = 120;
  GenerateSynthetic(options, (dir_ / "set").string());
  const nlohmann::json data = {
      {"source", "csv"},      {"path", (dir_ / "set").string()}, {"seed", 3},
      {"test_fraction", 0.1}, {"validation_fraction", 0.1},      {"skip_bad_rows", false}};
  const PreparedData first = PrepareData(data);
  const PreparedData second = PrepareData(data);
  EXPECT_TRUE(first.built);
  EXPECT_FALSE(second.built);
  EXPECT_EQ(first.cache_file, second.cache_file);
  EXPECT_EQ(first.dataset->mcc, second.dataset->mcc);
  EXPECT_EQ(first.dataset->time_days, second.dataset->time_days);
  EXPECT_EQ(first.dataset->splits, second.dataset->splits);
  // Another split seed is another preparation; changed content is too.
  auto other = data;
  other["seed"] = 4;
  EXPECT_TRUE(PrepareData(other).built);
  std::ofstream(dir_ / "set" / "gender_train.csv", std::ios::app) << "";
  {
    std::ofstream labels(dir_ / "set" / "gender_train.csv", std::ios::app);
    labels << "\n";  // an empty line: same data, different bytes
  }
  EXPECT_TRUE(PrepareData(data).built);
  // A corrupt cache file is reported, not trusted.
  std::ofstream(second.cache_file, std::ios::trunc) << "garbage";
  EXPECT_NE(ErrorOf([&] { LoadDataset(second.cache_file); }).find("not a prepared-data file"),
            std::string::npos);
}

TEST_F(DataTest, SyntheticSourceIsGeneratedOnceIntoTheCache) {
  const nlohmann::json data = {{"source", "synthetic"},
                               {"customers", 60},
                               {"seed", 2},
                               {"signal", 1.0},
                               {"reach", 0.5},
                               {"test_fraction", 0.1},
                               {"validation_fraction", 0.1},
                               {"skip_bad_rows", false}};
  const PreparedData first = PrepareData(data);
  EXPECT_TRUE(first.built);
  EXPECT_TRUE(fs::exists(fs::path(first.folder) / "transactions.csv"));
  EXPECT_EQ(fs::path(first.folder).parent_path().filename(), "synthetic");
  EXPECT_EQ(first.dataset->customers() + first.dataset->unlabelled_customers, 60);
  const PreparedData again = PrepareData(data);
  EXPECT_FALSE(again.built);
  EXPECT_EQ(again.folder, first.folder);
  auto other = data;
  other["signal"] = 0.0;
  EXPECT_NE(PrepareData(other).folder, first.folder);
}

TEST(RocAuc, MatchesPairCounting) {
  const std::vector<double> scores = {0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4};
  const std::vector<int> labels = {0, 0, 1, 1, 1, 1, 0, 0};
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    for (size_t j = 0; j < scores.size(); ++j) {
      if (labels[i] == 1 && labels[j] == 0) {
        pairs += 1;
        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
      }
    }
  }
  EXPECT_DOUBLE_EQ(RocAuc(scores, labels), wins / pairs);
  EXPECT_DOUBLE_EQ(RocAuc({1, 2}, {1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(Accuracy({0.7, 0.2, 0.5}, {1, 1, 1}), 2.0 / 3);
  EXPECT_NEAR(LogLoss({0.8, 0.3}, {1, 0}), -(std::log(0.8) + std::log(0.7)) / 2, 1e-12);
}

}  // namespace
}  // namespace attnsweep
