// `attnsweep data`: generating, preparing once for many processes at once, and bad input as a user
// meets it (the message, the exit code).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_handle.h"
#include "tests/cli_test_fixture.h"

namespace attnsweep {
namespace {

using attnsweep::testing::Attnsweep;
using attnsweep::testing::ReadFileText;
using attnsweep::testing::StartShell;
using attnsweep::testing::WaitExitCode;

TEST_F(CliTest, EightProcessesPrepareTheSameDataParsingItOnce) {
  ASSERT_EQ(Run("data generate --out set --customers 400 --seed 2").exit_code, 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < 8; ++i) {
    pids.push_back(StartShell("ATTNSWEEP_CACHE=cache exec " + Attnsweep() +
                                  " data prepare --path set --format csv > out" +
                                  std::to_string(i) + ".csv 2>&1",
                              dir_));
  }
  int parsed = 0, loaded = 0;
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(WaitExitCode(pids[i]), 0);
    const std::string out = ReadFileText(dir_ + "/out" + std::to_string(i) + ".csv");
    parsed += out.find("action,parsed the CSV files") != std::string::npos;
    loaded += out.find("action,loaded the cached preparation") != std::string::npos;
    EXPECT_NE(out.find("labelled_customers,224"), std::string::npos) << out;
  }
  EXPECT_EQ(parsed, 1);
  EXPECT_EQ(loaded, 7);
  // No temporary file is left behind.
  const auto listing = attnsweep::testing::RunShell("ls cache/prepared", dir_);
  EXPECT_EQ(listing.exit_code, 0);
  EXPECT_NE(listing.out.find(".bin"), std::string::npos) << listing.out;
  EXPECT_EQ(listing.out.find(".tmp"), std::string::npos) << listing.out;
}

TEST_F(CliTest, BadDataGetsItsPlaceAndExitCodeTwo) {
  ASSERT_EQ(attnsweep::testing::RunShell("mkdir bad", dir_).exit_code, 0);
  Write("bad/transactions.csv",
        "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n1,0 10:00:00,5411,1010,-5,\n"
        "1,3 10:00:61,5411,1010,-5,\n");
  Write("bad/gender_train.csv", "customer_id,gender\n1,0\n");
  const auto result = Run("data prepare --path bad");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad/transactions.csv:3:3: tr_datetime: expected \"<day> HH:MM:SS\", "
                            "got '3 10:00:61' (data.skip_bad_rows: true skips such rows)"),
            std::string::npos)
      << result.err;
  const auto skipped = Run("data prepare --path bad --skip-bad-rows --format csv");
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_NE(skipped.out.find("rows_skipped,1"), std::string::npos) << skipped.out;
  const auto missing = Run("data stats --path nowhere");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nowhere: data.path is not a folder"), std::string::npos)
      << missing.err;
}

TEST_F(CliTest, RunRefusesBadTrainingDataBeforeStoringAnything) {
  ASSERT_EQ(attnsweep::testing::RunShell("mkdir bad", dir_).exit_code, 0);
  Write("bad/transactions.csv",
        "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id\n1,0 10:00:00,5411,1010,x,\n");
  Write("bad/gender_train.csv", "customer_id,gender\n1,0\n");
  Write("g.yaml", R"(experiments:
  - name: q
    task: train
    params: {data: {source: csv, path: bad}}
)");
  const auto result = Run("run g.yaml --db a.db");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad/transactions.csv:2:24: amount: expected a number, got 'x'"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("nothing was run or stored"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db"));
}

TEST_F(CliTest, InterruptedTrainSweepResumesAtTheNextEpoch) {
  Write("t.yaml", R"(experiments:
  - name: q
    task: train
    params:
      data: {customers: 1500, max_len: 64, signal: 3}
      model: {attention: softmax, d_model: 16, heads: 2, layers: 1, ff_dim: 32}
      train: {epochs: 8, batch_size: 16, patience: 0}
)");
  const pid_t pid = StartShell("exec " + Attnsweep() + " run t.yaml --db a.db 2>run.err", dir_);
  // Ctrl-C once the first epoch's checkpoint is there: a file ending in .pt, not the .pt.tmp it is
  // written as and then renamed from (matching that made the test fail now and then: interrupted
  // before the rename, the job rightly started again at epoch 1).
  bool checkpointed = false;
  for (int i = 0; i < 1200 && !checkpointed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const auto listing =
        attnsweep::testing::RunShell("ls a.db.checkpoints 2>/dev/null | grep -c '\\.pt$'", dir_);
    checkpointed = listing.out.find_first_of("123456789") == 0;
  }
  ASSERT_TRUE(checkpointed) << ReadFileText(dir_ + "/run.err");
  kill(pid, SIGINT);
  EXPECT_EQ(WaitExitCode(pid), 130) << ReadFileText(dir_ + "/run.err");
  const auto resumed = Run("resume --db a.db");
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  const int64_t resumed_at =
      QueryInt("SELECT CAST(value AS INTEGER) FROM metrics WHERE name = 'resumed_at_epoch'");
  EXPECT_GE(resumed_at, 2);
  EXPECT_LE(resumed_at, 8);
  EXPECT_EQ(QueryInt("SELECT CAST(value AS INTEGER) FROM metrics WHERE name = 'epochs'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM curves WHERE name = 'train_loss'"), 8);
  // Finished: its checkpoint is gone.
  EXPECT_EQ(attnsweep::testing::RunShell("ls a.db.checkpoints", dir_).out.find(".pt"),
            std::string::npos);
}

TEST_F(CliTest, TrainJobPastItsMemoryCapIsOom) {
  // 256 windows of up to 1024 events: softmax's score matrices alone need more than 2 GB.
  Write("oom.yaml", R"(experiments:
  - name: big
    task: train
    params:
      data: {customers: 600, max_len: 1024}
      model: {attention: softmax, d_model: 16, heads: 2, layers: 1, ff_dim: 32}
      train: {epochs: 1, batch_size: 256}
    limits: {memory: 2G}
)");
  const auto result = Run("run oom.yaml --db a.db");
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_kind = 'oom'"),
            1);
  const auto table = Run("results --db a.db --by model.attention --metrics test_auc");
  EXPECT_NE(table.out.find("OOM"), std::string::npos) << table.out;
}

TEST_F(CliTest, ResumeRefusesDataThatChangedUnderItsBatch) {
  // A train batch on a CSV folder, interrupted with two jobs to go; then one CSV row changes.
  ASSERT_EQ(Run("data generate --out set --customers 300 --seed 2").exit_code, 0);
  Write("fit.yaml",
        "name: fit\nexperiments:\n  - name: fit\n    task: train\n    params:\n"
        "      data: {source: csv, path: set, max_len: 16}\n"
        "      model: {attention: bag, d_model: 8, heads: 2, layers: 1, ff_dim: 16}\n"
        "      train: {epochs: 1, batch_size: 64, patience: 0}\n"
        "    grid: {seed: [1, 2, 3]}\n");
  ASSERT_EQ(Run("run fit.yaml --db a.db -q").exit_code, 0);
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadWriteCreate);
    db.Exec(
        "UPDATE jobs SET status = 'pending' WHERE id > 1; "
        "UPDATE batches SET status = 'interrupted'");
  }
  const auto unchanged = Run("status --db a.db --format csv");
  ASSERT_EQ(attnsweep::testing::RunShell("awk -F, -v OFS=, 'NR == 2 { $5 = \"-1.23\" } 1' "
                                         "set/transactions.csv > t && mv t set/transactions.csv",
                                         dir_)
                .exit_code,
            0);
  const auto refused = Run("resume --db a.db -q");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("the data at 'set' (data.path) of batch 1's job #2 changed after the "
                             "batch was stored (fingerprint then csv-sha256:"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--allow-changed-data"), std::string::npos) << refused.err;
  // Nothing was written: the store says what it said before.
  EXPECT_EQ(Run("status --db a.db --format csv").out, unchanged.out);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts"), 3);
  // Told so, resume goes on, and says what it mixes.
  const auto allowed = Run("resume --db a.db --allow-changed-data");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.err.find("--allow-changed-data: the data at 'set'"), std::string::npos)
      << allowed.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 3);
}

// A train job on a planted family reports the oracle: the AUC of the generator's posterior on the
// job's own test customers, computed here from the file the generator wrote and the test customers
// the job stored, by counting pairs.
TEST_F(CliTest, ATrainJobOnAPlantedFamilyReportsTheOraclesAucOnItsTestCustomers) {
  Write("grid.yaml", R"(experiments:
  - name: recall
    task: train
    params:
      data: {source: synthetic, customers: 500, signal_kind: recall, max_len: 32}
      model: {attention: softmax, d_model: 16, heads: 2, layers: 1, ff_dim: 32}
      train: {epochs: 1}
)");
  auto run = Run("run grid.yaml --db a.db");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string folder;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/cache/synthetic")) {
    if (entry.is_directory()) folder = entry.path().string();
  }
  ASSERT_FALSE(folder.empty());
  std::map<int64_t, double> posterior;
  std::istringstream lines(ReadFileText(folder + "/oracle_posterior.csv"));
  std::string line;
  std::getline(lines, line);
  ASSERT_EQ(line, "customer_id,posterior");
  while (std::getline(lines, line)) {
    const size_t comma = line.find(',');
    posterior[std::stoll(line.substr(0, comma))] = std::stod(line.substr(comma + 1));
  }
  Database db(dir_ + "/a.db", Database::Mode::kReadOnly);
  std::vector<std::pair<double, int>> scored;
  Statement tested(db, "SELECT example, label FROM predictions ORDER BY example");
  while (tested.Step()) scored.emplace_back(posterior.at(tested.Int(0)), tested.Int(1));
  ASSERT_GT(scored.size(), 20u);
  double wins = 0, pairs = 0;
  for (const auto& [p, label] : scored) {
    if (label != 1) continue;
    for (const auto& [q, other] : scored) {
      if (other != 0) continue;
      wins += p > q ? 1 : p == q ? 0.5 : 0;
      ++pairs;
    }
  }
  Statement oracle(db, "SELECT value FROM metrics WHERE name = 'oracle_test_auc'");
  ASSERT_TRUE(oracle.Step());
  EXPECT_NEAR(oracle.Double(0), wins / pairs, 1e-12);
  // The results table shows it beside test_auc.
  auto results = Run("results --db a.db --format csv");
  EXPECT_NE(results.out.find("test_auc,oracle_test_auc"), std::string::npos) << results.out;
}

}  // namespace
}  // namespace attnsweep
