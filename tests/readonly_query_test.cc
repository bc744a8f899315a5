// `attnsweep query` reads and never writes: every way of writing is refused with a message.
#include "store/readonly_query.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/result_store.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class ReadOnlyQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("attnsweep_query_" + std::to_string(::getpid()) + ".db"))
                .string();
    fs::remove(path_);
    ResultStore store = ResultStore::OpenForWriting(path_);
    store.CreateBatch({"b", "yaml", "", "h", "r", "{}"}, {{"e", "k1", R"({"task":"sleep"})", 1},
                                                          {"e", "k2", R"({"task":"sleep"})", 2}});
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }

  std::string Refusal(const std::string& sql) {
    Database db = OpenGuardedReadOnly(path_);
    try {
      RunReadOnlyQuery(db, sql);
    } catch (const QueryRefused& e) {
      return e.what();
    }
    return "<not refused>";
  }

  int64_t JobCount() {
    Database db = OpenGuardedReadOnly(path_);
    return std::get<int64_t>(RunReadOnlyQuery(db, "SELECT count(*) FROM jobs").rows[0][0]);
  }

  std::string path_;
};

TEST_F(ReadOnlyQueryTest, SelectReturnsColumnsAndTypedCells) {
  Database db = OpenGuardedReadOnly(path_);
  QueryResult r = RunReadOnlyQuery(db, "SELECT id, job_key, cost, error FROM jobs ORDER BY id;");
  ASSERT_EQ(r.columns, (std::vector<std::string>{"id", "job_key", "cost", "error"}));
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(r.rows[0][0]), 1);
  EXPECT_EQ(std::get<std::string>(r.rows[0][1]), "k1");
  EXPECT_DOUBLE_EQ(std::get<double>(r.rows[1][2]), 2.0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r.rows[0][3]));
  // Views and json_extract work; so do CTEs that only read.
  QueryResult v = RunReadOnlyQuery(
      db, "WITH t AS (SELECT task FROM results) SELECT count(*) FROM t WHERE task = 'sleep'");
  EXPECT_EQ(std::get<int64_t>(v.rows[0][0]), 2);
}

TEST_F(ReadOnlyQueryTest, DeleteIsRefused) {
  EXPECT_EQ(
      Refusal("DELETE FROM jobs"),
      "query refused: attnsweep query is read-only, and this statement does DELETE from jobs; "
      "use sqlite3 on a copy of the store to change it");
  EXPECT_EQ(JobCount(), 2);
}

TEST_F(ReadOnlyQueryTest, DeleteInsideWithIsRefused) {
  EXPECT_NE(Refusal("WITH doomed AS (SELECT id FROM jobs) DELETE FROM jobs WHERE id IN doomed")
                .find("DELETE from jobs"),
            std::string::npos);
  EXPECT_EQ(JobCount(), 2);
}

TEST_F(ReadOnlyQueryTest, AttachIsRefused) {
  const std::string other = path_ + ".other";
  EXPECT_NE(Refusal("ATTACH DATABASE '" + other + "' AS other").find("does ATTACH"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(ReadOnlyQueryTest, WritingPragmaIsRefusedReadingPragmaAllowed) {
  EXPECT_NE(Refusal("PRAGMA user_version = 7").find("PRAGMA user_version = 7"), std::string::npos);
  EXPECT_NE(Refusal("PRAGMA journal_mode = DELETE").find("PRAGMA journal_mode"), std::string::npos);
  EXPECT_NE(Refusal("PRAGMA query_only = 0").find("PRAGMA query_only"), std::string::npos);
  Database db = OpenGuardedReadOnly(path_);
  QueryResult info = RunReadOnlyQuery(db, "PRAGMA table_info(jobs)");
  EXPECT_GT(info.rows.size(), 10u);
  QueryResult version = RunReadOnlyQuery(db, "PRAGMA user_version");
  EXPECT_GE(std::get<int64_t>(version.rows[0][0]), 1);
  QueryResult as_function = RunReadOnlyQuery(db, "SELECT count(*) FROM pragma_table_info('jobs')");
  EXPECT_GT(std::get<int64_t>(as_function.rows[0][0]), 10);
}

TEST_F(ReadOnlyQueryTest, OtherWritesAreRefused) {
  EXPECT_NE(Refusal("INSERT INTO metrics VALUES (1, 'x', 1)").find("INSERT into metrics"),
            std::string::npos);
  EXPECT_NE(Refusal("UPDATE jobs SET status = 'done'").find("UPDATE of jobs"), std::string::npos);
  EXPECT_NE(Refusal("DROP TABLE curves").find("read-only"), std::string::npos);
  EXPECT_NE(Refusal("CREATE TABLE x (a)").find("read-only"), std::string::npos);
  EXPECT_NE(Refusal("VACUUM").find("read-only"), std::string::npos);
  EXPECT_EQ(JobCount(), 2);
}

TEST_F(ReadOnlyQueryTest, SeveralStatementsAreRefused) {
  EXPECT_EQ(Refusal("SELECT 1; DELETE FROM jobs"),
            "give one SQL statement at a time (found more after the first ';')");
  EXPECT_EQ(JobCount(), 2);
}

TEST_F(ReadOnlyQueryTest, SqlErrorsAreReported) {
  EXPECT_EQ(Refusal("SELECT nope FROM jobs"), "SQL error: no such column: nope");
  EXPECT_EQ(Refusal("   "), "the query is empty: give one SQL statement, such as SELECT ...");
}

}  // namespace
}  // namespace attnsweep
