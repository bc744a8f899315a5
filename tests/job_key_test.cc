#include "experiments/job_key.h"

#include <gtest/gtest.h>

#include "tests/scratch_dir_test.h"

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <set>

#include "experiments/data/data_fingerprint.h"
#include "experiments/grid.h"

namespace attnsweep {
namespace {

std::string OnlyKey(const std::string& yaml) {
  GridParseResult result = ParseGrid(yaml, "t");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.grid.jobs.size(), 1u);
  return result.grid.jobs.empty() ? "" : result.grid.jobs[0].job_key;
}

const char* kBase = R"(
experiments:
  - name: a
    task: benchmark
    params: {model: {d_model: 64, heads: 4}, data: {max_len: 512}, bench: {repeats: 5}}
)";

TEST(JobKey, IsSha256Hex) {
  const std::string key = OnlyKey(kBase);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(JobKey, SameConfigInAnotherSpellingHasTheSameKey) {
  const std::string base = OnlyKey(kBase);
  // Keys reordered, dotted instead of nested, numbers spelled differently, a default made explicit.
  EXPECT_EQ(base, OnlyKey(R"(
experiments:
  - name: other-name
    task: benchmark
    params: {bench.repeats: 5.0, data.max_len: 5.12e2, model: {heads: 4, d_model: 64}, seed: 1}
)"));
  // The same values coming from defaults rather than params.
  EXPECT_EQ(base, OnlyKey(R"(
defaults: {model: {heads: 4}, bench: {repeats: 5}}
experiments:
  - {name: a, task: benchmark, grid: {data.max_len: [512]}}
)"));
}

TEST(JobKey, FloatSpellings) {
  const std::string a =
      OnlyKey("experiments: [{name: a, task: sleep, params: {sleep.seconds: 3e-4}}]");
  const std::string b =
      OnlyKey("experiments: [{name: a, task: sleep, params: {sleep.seconds: 0.0003}}]");
  const std::string c =
      OnlyKey("experiments: [{name: a, task: sleep, params: {sleep.seconds: 0.0004}}]");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(JobKey, AnyChangedValueChangesTheKey) {
  const std::string base = OnlyKey(kBase);
  const std::string params[] = {
      "{model: {d_model: 64, heads: 4}, data: {max_len: 512}, bench: {repeats: 5}, seed: 2}",
      "{model: {d_model: 64, heads: 8}, data: {max_len: 512}, bench: {repeats: 5}}",
      "{model: {d_model: 128, heads: 4}, data: {max_len: 512}, bench: {repeats: 5}}",
      "{model: {d_model: 64, heads: 4}, data: {max_len: 513}, bench: {repeats: 5}}",
      "{model: {d_model: 64, heads: 4}, data: {max_len: 512}, bench: {repeats: 6}}",
      "{model: {d_model: 64, heads: 4}, data: {max_len: 512}, bench: {repeats: 5, warmup: 3}}",
      "{model: {d_model: 64, heads: 4}, data: {max_len: 512}, bench: {repeats: 5, backward: no}}",
  };
  std::set<std::string> keys = {base};
  for (const auto& p : params) {
    const std::string key =
        OnlyKey("experiments:\n  - {name: a, task: benchmark, params: " + p + "}\n");
    EXPECT_TRUE(keys.insert(key).second) << p;
  }
  // The task is part of the key too.
  EXPECT_NE(OnlyKey("experiments: [{name: a, task: sleep}]"), base);
}

TEST(JobKey, CanonicalJsonSortsKeysAtEveryLevel) {
  nlohmann::json a = nlohmann::json::parse(R"({"b": {"y": 1, "x": 2}, "a": 0.5})");
  EXPECT_EQ(CanonicalJson(a), R"({"a":0.5,"b":{"x":2,"y":1}})");
}

class JobKeyData : public ScratchDirTest {};

TEST_F(JobKeyData, DataFingerprintDependsOnTheFilesContent) {
  namespace fs = std::filesystem;
  const fs::path dir = dir_ / "set";
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  write("transactions.csv",
        "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n1,0 10:00:00,4814,1030,-1.5,\n");
  write("gender_train.csv", "customer_id,gender\n1,0\n");
  nlohmann::json config = {{"task", "train"},
                           {"data", {{"source", "csv"}, {"path", dir.string()}}}};
  std::string first, error;
  ASSERT_TRUE(DataFingerprint(config, &first, &error)) << error;
  EXPECT_EQ(first.rfind("csv-sha256:", 0), 0u);
  std::string again;
  ASSERT_TRUE(DataFingerprint(config, &again, &error)) << error;
  EXPECT_EQ(first, again);

  // The same folder with a label more: the remembered digest no longer matches the file.
  { std::ofstream(dir / "gender_train.csv", std::ios::app) << "2,1\n"; }
  std::string grown;
  ASSERT_TRUE(DataFingerprint(config, &grown, &error)) << error;
  EXPECT_NE(first, grown);

  // Another folder with other content.
  const fs::path other = dir_ / "other";
  fs::create_directories(other);
  fs::copy(dir / "transactions.csv", other / "transactions.csv");
  std::ofstream(other / "gender_train.csv") << "customer_id,gender\n1,1\n";
  config["data"]["path"] = other.string();
  std::string second;
  ASSERT_TRUE(DataFingerprint(config, &second, &error)) << error;
  EXPECT_NE(first, second);

  config["data"]["path"] = (dir / "missing").string();
  std::string third;
  EXPECT_FALSE(DataFingerprint(config, &third, &error));
  EXPECT_NE(error.find("no transactions.csv"), std::string::npos) << error;

  nlohmann::json synthetic = {{"task", "train"}, {"data", {{"source", "synthetic"}}}};
  ASSERT_TRUE(DataFingerprint(synthetic, &third, &error));
  EXPECT_EQ(third, "synthetic-v" + std::to_string(kSyntheticGeneratorVersion));
  nlohmann::json no_data = {{"task", "benchmark"}, {"data", {{"max_len", 5}}}};
  ASSERT_TRUE(DataFingerprint(no_data, &third, &error));
  EXPECT_EQ(third, "");
}

}  // namespace
}  // namespace attnsweep
