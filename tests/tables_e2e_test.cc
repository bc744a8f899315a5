// The reading commands on a store of known content (tests/comparison_store.h): results --pivot and
// --slope, jobs, export, several batches, tag and rm, as a user runs them from a shell.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "store/readonly_query.h"
#include "store/result_store.h"
#include "tests/cli_test_fixture.h"
#include "tests/comparison_store.h"

namespace attnsweep {
namespace {

// RFC 4180 rows: quoted fields may hold commas, quotes (doubled) and newlines.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

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
  auto not_grouped = Run("results --db a.db --by model.attention --pivot data.max_len");
  EXPECT_EQ(not_grouped.exit_code, 2);
  EXPECT_NE(not_grouped.err.find("add it to --by"), std::string::npos) << not_grouped.err;
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
  EXPECT_EQ(table[0], (std::vector<std::string>{"job", "epoch", "train_loss", "val_auc"}));
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
