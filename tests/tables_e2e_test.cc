// The reading commands on a store of known content (tests/comparison_store.h): results --pivot and
// --slope, jobs, export, several batches, tag and rm, as a user runs them from a shell.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "store/readonly_query.h"
#include "store/result_store.h"
#include "tests/cli_test_fixture.h"
#include "tests/comparison_store.h"
#include "tests/csv_rows.h"

namespace attnsweep {
namespace {

using testing::ParseCsv;

class TablesTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    store_ = testing::WriteComparisonStore(dir_ + "/a.db");
  }
  testing::ComparisonStore store_;
};

TEST_F(TablesTest, PivotPutsLengthsInColumnsAndMarksOutOfMemoryCells) {
  auto pivot =
      Run("results --db a.db --experiment speed --pivot data.max_len --metrics fwd_ms "
          "--format csv");
  ASSERT_EQ(pivot.exit_code, 0) << pivot.err;
  const auto rows = ParseCsv(pivot.out);
  ASSERT_EQ(rows.size(), 4u) << pivot.out;
  EXPECT_EQ(rows[0], (std::vector<std::string>{"model.attention", "64", "256", "1024", "4096"}));
  const auto variants = testing::ComparisonVariants();
  for (size_t v = 0; v < variants.size(); ++v) {
    EXPECT_EQ(rows[v + 1][0], variants[v]);
    for (size_t l = 0; l < 4; ++l) {
      const int length = testing::ComparisonLengths()[l];
      if (v == 0 && length == 4096) {
        EXPECT_EQ(rows[v + 1][l + 1], "OOM");
      } else {
        EXPECT_EQ(std::stod(rows[v + 1][l + 1]), testing::ComparisonFwdMs(v, length));
      }
    }
  }
  // The backward pass of performer at 4096 ran out of memory though its forward pass fit.
  auto both =
      Run("results --db a.db --experiment speed --pivot data.max_len "
          "--metrics fwd_ms,fwdbwd_ms");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(both.out.find("fwdbwd_ms@4096"), std::string::npos) << both.out;
  std::istringstream lines(both.out);
  std::string line;
  int oom_cells = 0;
  while (std::getline(lines, line)) {
    for (size_t at = line.find("OOM"); at != std::string::npos; at = line.find("OOM", at + 1))
      ++oom_cells;
  }
  EXPECT_EQ(oom_cells, 3) << both.out;  // softmax fwd and fwdbwd, performer fwdbwd
  // The pivot key is a grouping key by being named (pandas' index and columns): the same table.
  auto by_and_pivot =
      Run("results --db a.db --experiment speed --by model.attention --pivot data.max_len "
          "--metrics fwd_ms --format csv");
  ASSERT_EQ(by_and_pivot.exit_code, 0) << by_and_pivot.err;
  EXPECT_EQ(ParseCsv(by_and_pivot.out), rows);
}

TEST_F(TablesTest, PivotWithSlopeEndsEachRowWithTheSlopeTheSlopeTableFits) {
  auto slopes = Run(
      "results --db a.db --experiment speed --slope data.max_len --metrics fwd_ms --format json");
  auto both =
      Run("results --db a.db --experiment speed --pivot data.max_len --slope data.max_len "
          "--metrics fwd_ms --format json");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  const auto slope_rows = nlohmann::json::parse(slopes.out);
  const auto rows = nlohmann::json::parse(both.out);
  ASSERT_EQ(rows.size(), slope_rows.size()) << both.out;
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r]["model.attention"], slope_rows[r]["model.attention"]);
    EXPECT_EQ(rows[r]["fwd_ms_slope"], slope_rows[r]["fwd_ms_slope"]) << rows[r];
    EXPECT_EQ(rows[r]["1024"].get<double>(), testing::ComparisonFwdMs(r, 1024));
  }
  // Two keys at once would be two tables.
  auto two = Run("results --db a.db --pivot data.max_len --slope model.d_model");
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("--pivot data.max_len --slope data.max_len"), std::string::npos)
      << two.err;
}

TEST_F(TablesTest, PivotByBatchHeadsTheColumnsWithTheBatchesNames) {
  testing::WriteComparisonStore(dir_ + "/a.db");  // batch 2, named as batch 1
  ASSERT_EQ(Run("tag 2 --description again --db a.db").exit_code, 0);
  auto pivot =
      Run("results --all --db a.db --experiment speed --by model.attention --pivot batch "
          "--metrics fwd_ms --format csv");
  ASSERT_EQ(pivot.exit_code, 0) << pivot.err;
  EXPECT_EQ(ParseCsv(pivot.out)[0],
            (std::vector<std::string>{"model.attention", "comparison (1)", "comparison (2)"}))
      << pivot.out;
}

// One vocabulary: --where and query take the grid's dotted keys and every metric's name, and
// select what the results view's short names and json_extract select.
TEST_F(TablesTest, WhereAndQueryReadTheGridsDottedKeysAndEveryMetric) {
  auto results = [&](const std::string& where) {
    auto run =
        Run("results --db a.db --by model.attention,data.max_len --metrics fwd_ms "
            "--format csv --where \"" +
            where + "\"");
    EXPECT_EQ(run.exit_code, 0) << where << ": " << run.err;
    return ParseCsv(run.out);
  };
  const auto dotted = results("data.max_len >= 1024 AND model.attention <> 'softmax'");
  EXPECT_EQ(dotted, results("max_len >= 1024 AND attention <> 'softmax'"));
  ASSERT_EQ(dotted.size(), 5u);  // 2 variants × 2 lengths
  // A figure the results view has no column for.
  const auto by_min = results("fwd_ms_min > 0 AND data.max_len = 64");
  EXPECT_EQ(by_min.size(), 4u);  // the three variants at 64
  // A grid key no job here has reads NULL, as a key a job lacks does.
  EXPECT_EQ(results("train.lr IS NULL AND data.max_len = 64").size(), 4u);
  auto typo = Run("results --db a.db --where \"data.maxlen > 3\"");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'data.max_len'"), std::string::npos) << typo.err;

  // query: the wide view, a column per key and metric, named as export names them.
  auto wide =
      Run("query --db a.db --format json 'SELECT job_id, \"model.attention\", \"data.max_len\", "
          "fwd_ms_min, test_auc FROM wide ORDER BY job_id'");
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  Database db = OpenGuardedReadOnly(dir_ + "/a.db");
  const QueryResult truth = RunReadOnlyQuery(
      db,
      "SELECT j.id, json_extract(j.config, '$.model.attention'), "
      "json_extract(j.config, '$.data.max_len'), "
      "(SELECT value FROM metrics m WHERE m.job_id = j.id AND m.name = 'fwd_ms_min'), "
      "(SELECT value FROM metrics m WHERE m.job_id = j.id AND m.name = 'test_auc') "
      "FROM jobs j ORDER BY j.id");
  const auto rows = nlohmann::json::parse(wide.out);
  ASSERT_EQ(rows.size(), truth.rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r]["job_id"], std::get<int64_t>(truth.rows[r][0]));
    const auto* attention = std::get_if<std::string>(&truth.rows[r][1]);
    EXPECT_EQ(rows[r]["model.attention"], attention ? nlohmann::json(*attention) : nullptr);
    for (const auto& [name, index] :
         {std::pair<std::string, int>{"fwd_ms_min", 3}, {"test_auc", 4}}) {
      const auto* value = std::get_if<double>(&truth.rows[r][index]);
      EXPECT_EQ(rows[r][name], value ? nlohmann::json(*value) : nullptr) << r << name;
    }
  }
  // Every column export writes is a column of the view, by the same name.
  auto header = Run("export --db a.db --format csv");
  auto columns = Run("query --db a.db --format csv 'SELECT * FROM wide LIMIT 1'");
  ASSERT_EQ(columns.exit_code, 0) << columns.err;
  const auto wide_columns = ParseCsv(columns.out)[0];
  const auto export_columns = ParseCsv(header.out)[0];
  for (const auto& name : export_columns) {
    EXPECT_NE(std::find(wide_columns.begin(), wide_columns.end(), name), wide_columns.end())
        << name;
  }
  // A dotted name SQL reads as table.column says how to write it.
  auto bare = Run("query --db a.db 'SELECT data.max_len FROM wide'");
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("SELECT \"data.max_len\" FROM wide"), std::string::npos) << bare.err;
  // jobs has job_id, as every other table has.
  auto ids = Run("query --db a.db --format csv 'SELECT count(*) FROM jobs WHERE job_id = id'");
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  EXPECT_EQ(ParseCsv(ids.out)[1][0], std::to_string(store_.jobs));
}

TEST_F(TablesTest, SlopeIsTheExponentOfThePowerLaw) {
  auto slopes =
      Run("results --db a.db --experiment speed --slope data.max_len --metrics fwd_ms "
          "--format json");
  ASSERT_EQ(slopes.exit_code, 0) << slopes.err;
  const auto rows = nlohmann::json::parse(slopes.out);
  ASSERT_EQ(rows.size(), 3u) << slopes.out;
  EXPECT_NEAR(rows[0]["fwd_ms_slope"].get<double>(), 2.0, 1e-9);  // softmax: 3 measured lengths
  EXPECT_EQ(rows[0]["points"], 3);
  EXPECT_NEAR(rows[1]["fwd_ms_slope"].get<double>(), 1.0, 1e-9);
  EXPECT_EQ(rows[1]["points"], 4);
}

TEST_F(TablesTest, CurvesByJobAndAveragedByEpoch) {
  auto curves = Run("results --db a.db --curves --metrics val_auc --format json");
  ASSERT_EQ(curves.exit_code, 0) << curves.err;
  const auto rows = nlohmann::json::parse(curves.out);
  ASSERT_EQ(rows.size(), static_cast<size_t>(store_.curve_cells)) << curves.out;
  for (const auto& row : rows) {
    const int epoch = row["epoch"].get<int>();
    EXPECT_NEAR(row["val_auc"].get<double>(), 0.55 + 0.03 * epoch + 0.02, 1e-12) << row;
    EXPECT_NEAR(row["val_auc_std"].get<double>(), 0.01, 1e-12) << row;
    EXPECT_EQ(row["n"], 3);
  }
  auto one = Run("curves 13 --db a.db --format csv");  // job 13: the first train job
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto table = ParseCsv(one.out);
  ASSERT_EQ(table.size(), 4u) << one.out;
  EXPECT_EQ(table[0], (std::vector<std::string>{"job_id", "epoch", "train_loss", "val_auc"}));
  EXPECT_EQ(std::stod(table[2][3]), 0.55 + 0.03 * 2 + 0.01);
  EXPECT_EQ(Run("curves 999 --db a.db").exit_code, 2);
}

TEST_F(TablesTest, JobsListsFailuresWithTheirKindAndFirstErrorLine) {
  auto failed = Run("jobs --db a.db --status failed --format json");
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  const auto rows = nlohmann::json::parse(failed.out);
  ASSERT_EQ(rows.size(), 2u) << failed.out;
  EXPECT_EQ(rows[0]["kind"], "oom");
  EXPECT_EQ(rows[0]["model.attention"], "softmax");
  EXPECT_EQ(rows[0]["data.max_len"], 4096);
  EXPECT_EQ(rows[0]["error"], "out of memory: tried to allocate 64 GiB");
  EXPECT_EQ(rows[0]["host"], "testhost");
  EXPECT_EQ(rows[0]["attempts"], 1);
  EXPECT_EQ(rows[1]["kind"], "error");
  EXPECT_EQ(rows[1]["experiment"], "broken");
  auto all = Run("jobs --db a.db --format csv");
  EXPECT_EQ(ParseCsv(all.out).size(), static_cast<size_t>(store_.jobs + 1));
  EXPECT_EQ(Run("jobs --db a.db --status sideways").exit_code, 2);
}

TEST_F(TablesTest, ExportRoundTripsEveryJobWithTheValuesQueryReads) {
  auto exported = Run("export --db a.db -o out.csv");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto rows = ParseCsv(testing::ReadFileText(dir_ + "/out.csv"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(store_.jobs + 1));
  const auto& header = rows[0];
  auto column = [&](const std::string& name) {
    const auto at = std::find(header.begin(), header.end(), name);
    EXPECT_NE(at, header.end()) << name;
    return static_cast<size_t>(at - header.begin());
  };
  Database db = OpenGuardedReadOnly(dir_ + "/a.db");
  const QueryResult truth = RunReadOnlyQuery(
      db,
      "SELECT j.id, j.status, json_extract(j.config, '$.model.attention'), "
      "json_extract(j.config, '$.data.max_len'), "
      "(SELECT value FROM metrics m WHERE m.job_id = j.id AND m.name = 'fwd_ms'), "
      "(SELECT value FROM metrics m WHERE m.job_id = j.id AND m.name = 'test_auc') "
      "FROM jobs j ORDER BY j.id");
  ASSERT_EQ(truth.rows.size(), rows.size() - 1);
  for (size_t r = 0; r < truth.rows.size(); ++r) {
    const auto& row = rows[r + 1];
    const auto& expected = truth.rows[r];
    ASSERT_EQ(row.size(), header.size());
    EXPECT_EQ(std::stoll(row[column("job_id")]), std::get<int64_t>(expected[0]));
    EXPECT_EQ(row[column("status")], std::get<std::string>(expected[1]));
    const auto* attention = std::get_if<std::string>(&expected[2]);
    EXPECT_EQ(row[column("model.attention")], attention ? *attention : "");
    for (const auto& [name, index] : {std::pair<std::string, int>{"fwd_ms", 4}, {"test_auc", 5}}) {
      const auto* value = std::get_if<double>(&expected[index]);
      if (value == nullptr) {
        EXPECT_EQ(row[column(name)], "") << r;
      } else {
        EXPECT_EQ(std::stod(row[column(name)]), *value) << r;  // exact: shortest round trip
      }
    }
  }
  auto json = Run("export --db a.db -o out.json");
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(testing::ReadFileText(dir_ + "/out.json")).size(),
            static_cast<size_t>(store_.jobs));
}

TEST_F(TablesTest, SeveralBatchesCompareWithTheBatchAsAKey) {
  testing::WriteComparisonStore(dir_ + "/a.db");  // batch 2, the same jobs again
  auto both =
      Run("results 1 2 --db a.db --experiment speed --by batch,model.attention "
          "--metrics fwd_ms --format csv");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_EQ(ParseCsv(both.out).size(), 7u) << both.out;  // 2 batches × 3 variants
  auto all = Run("results --all --db a.db --experiment speed --metrics fwd_ms --format csv");
  EXPECT_EQ(ParseCsv(all.out)[0][0], "batch") << all.out;
  // Without a batch, a condition on the batch chooses it (it used to read the newest, empty).
  auto where =
      Run("results --db a.db --where \"batch_id = 1\" --experiment speed --by "
          "batch --metrics fwd_ms --format csv");
  ASSERT_EQ(where.exit_code, 0) << where.err;
  const auto where_rows = ParseCsv(where.out);
  ASSERT_EQ(where_rows.size(), 2u) << where.out;
  EXPECT_EQ(where_rows[1][0], "1");
  // A batch id after a list option is a batch, not a metric.
  auto after = Run("results --db a.db --metrics fwd_ms 1 --experiment speed --format csv");
  EXPECT_EQ(after.exit_code, 0) << after.err;
  // --by a subset says what it averaged over.
  auto subset = Run("results 1 --db a.db --experiment speed --by model.attention");
  EXPECT_NE(subset.err.find("averages over data.max_len"), std::string::npos) << subset.err;
}

TEST_F(TablesTest, TagsAndDescriptionShowInStatus) {
  auto tag =
      Run("tag 1 baseline cpu --remove test --description \"the first comparison\" --db a.db");
  ASSERT_EQ(tag.exit_code, 0) << tag.err;
  auto status = Run("status 1 --db a.db");
  EXPECT_NE(status.out.find("tags: baseline, cpu\n"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("the first comparison"), std::string::npos) << status.out;
  EXPECT_EQ(Run("tag 1 \"two words\" --db a.db").exit_code, 2);
}

// "0:09:23" -> 563.
double ClockSeconds(const std::string& clock) {
  int h = 0, m = 0, sec = 0;
  EXPECT_EQ(std::sscanf(clock.c_str(), "%d:%d:%d", &h, &m, &sec), 3) << clock;
  return 3600.0 * h + 60.0 * m + sec;
}

// A batch in flight as its coordinator leaves it in the store: 32 benchmarks waiting that need
// their node (one node of two workers), and a train job that said it finished epoch 2 of 10 after
// 60 s. What is left: 243 s of training (30 s an epoch, 8.1 epochs), and 320 s of benchmarks one at
// a time, after it. No schedule does better than 441.5 s (the work over the workers, a benchmark's
// counting twice); the old ETA said 160 s (the benchmarks over two workers, the running job done).
TEST_F(TablesTest, StatusShowsRunningJobsWithTheirProgressAndAnEtaAboveTheLowerBound) {
  {
    ResultStore live = ResultStore::OpenForWriting(dir_ + "/live.db");
    std::vector<NewJob> jobs;
    for (int i = 0; i < 32; ++i) {
      jobs.push_back({"speed", "bench" + std::to_string(i),
                      R"({"task":"benchmark","model":{"attention":"softmax"},"seed":)" +
                          std::to_string(i) + "}",
                      10, "{}",
                      R"({"task":"benchmark","needs_node":true,"cost_group":"benchmark/softmax",)"
                      R"("estimate_s":10})"});
    }
    jobs.push_back({"quality", "train", R"({"task":"train","model":{"attention":"performer"}})", 1,
                    "{}", R"({"task":"train","cost_group":"train/performer","estimate_s":1})"});
    const int64_t batch = live.CreateBatch({"live", "experiments: []", "", "h", "r", "{}"}, jobs);
    live.SetBatchWorkers(batch, 2);
    int64_t train = 0;
    for (const auto& job : live.PendingJobs(batch)) train = job.job_key == "train" ? job.id : train;
    ASSERT_EQ(live.StartAttempt(train, {1, "node1", "cpu", 1, "process"},
                                std::chrono::system_clock::now() - std::chrono::seconds(60)),
              1);
    ASSERT_TRUE(live.RecordProgress(
        train, 1, R"({"epoch":2,"epochs":10,"first_epoch":1,"metric":"val_auc","value":0.7123})"));
  }
  const std::string progress = "epoch 2/10, val_auc 0.7123";
  auto table = Run("status 1 --db live.db");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const size_t eta_at = table.out.find("ETA ");
  ASSERT_NE(eta_at, std::string::npos) << table.out;
  const double eta = ClockSeconds(table.out.substr(eta_at + 4, table.out.find('\n') - eta_at - 4));
  EXPECT_GE(eta, 441.5) << table.out;
  EXPECT_LT(eta, 700) << table.out;
  EXPECT_NE(table.out.find("\nrunning:\n"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(progress), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("node1"), std::string::npos) << table.out;

  auto json = Run("status 1 --db live.db --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  // Read in one go: the benchmarks after the train job's 8.1 epochs left at its pace so far (each
  // run of `status` starts a little later than 60 s into the job).
  const double running_s = parsed["running"][0]["running_s"].get<double>();
  EXPECT_GE(running_s, 60);
  EXPECT_NEAR(ClockSeconds(parsed["eta"].get<std::string>()), 320 + running_s / 2 * 8.1, 2)
      << json.out;
  ASSERT_EQ(parsed["experiments"].size(), 2u) << json.out;
  EXPECT_EQ(parsed["experiments"][0]["pending"], 32);
  ASSERT_EQ(parsed["running"].size(), 1u) << json.out;
  EXPECT_EQ(parsed["running"][0]["progress"], progress);
  EXPECT_EQ(parsed["running"][0]["model.attention"], "performer");

  auto csv = Run("status 1 --db live.db --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto blocks = csv.out.find("\n\n");
  ASSERT_NE(blocks, std::string::npos) << "two tables, a blank line apart: " << csv.out;
  const auto running = ParseCsv(csv.out.substr(blocks + 2));
  ASSERT_EQ(running.size(), 2u) << csv.out;
  EXPECT_EQ(running[0].back(), "running_s");
  EXPECT_EQ(running[1][running[0].size() - 2], progress);
  auto markdown = Run("status 1 --db live.db --format markdown");
  EXPECT_NE(markdown.out.find("| " + progress), std::string::npos) << markdown.out;

  auto all = Run("status --db live.db --format json");
  EXPECT_GE(ClockSeconds(nlohmann::json::parse(all.out)[0]["eta"].get<std::string>()), 441.5)
      << all.out;
  auto jobs = Run("jobs --db live.db --status running --format json");
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  EXPECT_EQ(nlohmann::json::parse(jobs.out)[0]["progress"], progress) << jobs.out;
}

TEST_F(TablesTest, RmDeletesABatchAndEverythingItStoredOnly) {
  testing::WriteComparisonStore(dir_ + "/a.db");
  std::filesystem::create_directories(dir_ + "/a.db.logs/1");
  Write("a.db.logs/1/1.log", "a job's output\n");
  auto rm = Run("rm 1 --db a.db");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("deleted batch 1 'comparison'"), std::string::npos) << rm.out;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 1"), 0);
  for (const char* table : {"metrics", "curves", "attempts"}) {
    EXPECT_EQ(QueryInt(std::string("SELECT count(*) FROM ") + table +
                       " WHERE job_id NOT IN (SELECT id FROM jobs)"),
              0)
        << table;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2"), store_.jobs);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics"),
            QueryInt("SELECT count(*) FROM metrics m JOIN jobs j ON j.id = m.job_id "
                     "WHERE j.batch_id = 2"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db.logs/1"));
  EXPECT_EQ(Run("rm 7 --db a.db").exit_code, 2);
}

}  // namespace
}  // namespace attnsweep

namespace attnsweep {
namespace {

class CompareTest : public CliTest {
 protected:
  // t.yaml: real train jobs of bag and gru, two seeds each, on a small model; `data` sizes the
  // data set, `more` is added to the experiment (a search, say).
  void WriteTrainGrid(const std::string& data, const std::string& more = "") {
    Write("t.yaml", "defaults:\n  data: {" + data + ", signal: 3}\n" +
                        R"(  model: {d_model: 8, heads: 2, layers: 1, ff_dim: 16}
  train: {epochs: 2, batch_size: 32, patience: 0}
experiments:
  - name: train
    task: train
    grid: {model.attention: [bag, gru], seed: [1, 2]}
)" + more);
  }
};

// Real train jobs store every test customer's score, and `results --compare` pairs them: the AUC
// it computes from the stored scores equals each job's own test_auc (computed in the job, by
// another routine), so its difference is the mean of the seeds' differences.
TEST_F(CompareTest, TrainJobsStoreTheirTestScoresAndAreComparedOnThem) {
  WriteTrainGrid("customers: 400, max_len: 32");
  auto run = Run("run t.yaml --db a.db");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const int64_t test_customers =
      QueryInt("SELECT CAST(value AS INTEGER) FROM metrics WHERE name = 'test_customers' LIMIT 1");
  ASSERT_GT(test_customers, 10);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM predictions"), 4 * test_customers);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT example) FROM predictions"), test_customers);
  auto compared =
      Run("results --db a.db --compare model.attention=bag --metrics test_auc "
          "--format json");
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  const auto rows = nlohmann::json::parse(compared.out);
  ASSERT_EQ(rows.size(), 1u) << compared.out;
  const auto& row = rows[0];
  EXPECT_EQ(row["model.attention"], "gru");
  EXPECT_EQ(row["method"], "DeLong, paired customers");
  EXPECT_EQ(row["pairs"], 2);
  auto mean_auc = [&](const std::string& variant) {
    Database db = OpenGuardedReadOnly(dir_ + "/a.db");
    const auto result = RunReadOnlyQuery(
        db, "SELECT avg(test_auc) FROM results WHERE attention = '" + variant + "'");
    return std::get<double>(result.rows.at(0).at(0));
  };
  EXPECT_NEAR(row["value"].get<double>(), mean_auc("gru"), 1e-12);
  EXPECT_NEAR(row["baseline"].get<double>(), mean_auc("bag"), 1e-12);
  EXPECT_NEAR(row["effect"].get<double>(), mean_auc("gru") - mean_auc("bag"), 1e-12);
  EXPECT_LT(row["lo"].get<double>(), row["effect"].get<double>());
  EXPECT_GT(row["hi"].get<double>(), row["effect"].get<double>());
  EXPECT_GT(row["p"].get<double>(), 0);
  // A baseline no job has is refused, naming it.
  auto missing = Run("results --db a.db --compare model.attention=linformer");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("model.attention=linformer"), std::string::npos) << missing.err;
  auto malformed = Run("results --db a.db --compare model.attention");
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("KEY=VALUE"), std::string::npos) << malformed.err;
  auto malformed_report = Run("report --db a.db -o bad.html --compare model.attention");
  EXPECT_EQ(malformed_report.exit_code, 2);
  EXPECT_NE(malformed_report.err.find("KEY=VALUE"), std::string::npos) << malformed_report.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/bad.html"));
  // The report draws the difference with its interval.
  auto report = Run("report --db a.db -o r.html --compare model.attention=bag");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(testing::ReadFileText(dir_ + "/r.html").find("plot-compare-test_auc"),
            std::string::npos);
}

TEST_F(CompareTest, BestChoosesEachVariantsConfigurationOnValidation) {
  WriteTrainGrid("customers: 200, max_len: 16",
                 "    search: {samples: 3, seed: 5, train.lr: {loguniform: [0.001, 0.1]}}\n");
  auto run = Run("run t.yaml --db a.db");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 12);
  auto best = Run("results --db a.db --best --by model.attention --format json");
  ASSERT_EQ(best.exit_code, 0) << best.err;
  const auto rows = nlohmann::json::parse(best.out);
  ASSERT_EQ(rows.size(), 2u) << best.out;
  Database db = OpenGuardedReadOnly(dir_ + "/a.db");
  // The independent answer, in SQL: the rate whose mean validation AUC is highest, and its mean
  // test AUC.
  auto scalar = [&](const std::string& sql) {
    return std::get<double>(RunReadOnlyQuery(db, sql).rows.at(0).at(0));
  };
  for (const auto& row : rows) {
    const std::string variant = row["model.attention"];
    const std::string of_variant =
        " FROM jobs j JOIN metrics m ON m.job_id = j.id WHERE json_extract(j.config, "
        "'$.model.attention') = '" +
        variant + "'";
    const double lr = scalar("SELECT json_extract(j.config, '$.train.lr') AS lr" + of_variant +
                             " AND m.name = 'best_val_auc' GROUP BY lr ORDER BY avg(m.value) DESC, "
                             "lr LIMIT 1");
    EXPECT_EQ(row["train.lr"].get<double>(), lr) << variant;
    EXPECT_EQ(row["configs"], 3) << variant;
    EXPECT_EQ(row["seeds"], 2) << variant;
    EXPECT_NEAR(row["test_auc"].get<double>(),
                scalar("SELECT avg(m.value)" + of_variant +
                       " AND m.name = 'test_auc' AND "
                       "json_extract(j.config, '$.train.lr') = " +
                       nlohmann::json(lr).dump()),
                1e-9)
        << variant;
    EXPECT_EQ(row["budget"], 12) << variant;  // 6 jobs of 2 epochs
  }
  auto without_groups = Run("results --db a.db --best");
  EXPECT_EQ(without_groups.exit_code, 2);
  EXPECT_NE(without_groups.err.find("--by"), std::string::npos) << without_groups.err;
}

}  // namespace
}  // namespace attnsweep
