// `attnsweep query` reads and never writes: every way of writing is refused with a message.
#include "store/readonly_query.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

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

TEST_F(ReadOnlyQueryTest, OnlySqlitesPlainFunctionsMayBeCalled) {
  // fts3_tokenizer('simple') returns a pointer into libsqlite3.
  EXPECT_NE(Refusal("SELECT hex(fts3_tokenizer('simple'))").find("call fts3_tokenizer()"),
            std::string::npos);
  EXPECT_NE(Refusal("SELECT load_extension('x')").find("call load_extension()"), std::string::npos);
  Database db = OpenGuardedReadOnly(path_);
  const QueryResult r =
      RunReadOnlyQuery(db,
                       "SELECT upper('a'), round(pi(), 2), json_extract('{\"a\": 3}', '$.a'), "
                       "count(*) OVER (), date('2026-12-07') FROM jobs LIMIT 1");
  EXPECT_EQ(std::get<std::string>(r.rows[0][0]), "A");
  EXPECT_EQ(std::get<int64_t>(r.rows[0][2]), 3);
}

TEST_F(ReadOnlyQueryTest, NoConnectionRegistersATokenizer) {
  // The two-argument form installs any pointer as a tokenizer: off on every connection we open,
  // the writer's too, whatever the authorizer.
  Database db(path_, Database::Mode::kReadWriteCreate);
  EXPECT_THROW(db.Exec("SELECT fts3_tokenizer('evil', X'0000000000000000')"), StoreError);
}

TEST_F(ReadOnlyQueryTest, AStatementPastItsTimeLimitIsStopped) {
  Database db = OpenGuardedReadOnly(path_);
  const auto start = std::chrono::steady_clock::now();
  try {
    RunReadOnlyQuery(db,
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                     "SELECT count(*) FROM c",
                     {0.2});
    ADD_FAILURE() << "an endless query returned";
  } catch (const QueryRefused& e) {
    EXPECT_NE(std::string(e.what()).find("ran past its time limit of 0.2 s"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
  // The same connection answers the next statement.
  EXPECT_EQ(std::get<int64_t>(RunReadOnlyQuery(db, "SELECT count(*) FROM jobs").rows[0][0]), 2);
}

TEST_F(ReadOnlyQueryTest, AResultPastItsSizeLimitAndHugeValuesAreRefused) {
  Database db = OpenGuardedReadOnly(path_);
  QueryLimits limits;
  limits.result_bytes = 1 << 20;
  try {
    RunReadOnlyQuery(db,
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) "
                     "SELECT x, printf('%.100c', 'y') FROM c",
                     limits);
    ADD_FAILURE() << "a 10 MB result passed a 1 MB limit";
  } catch (const QueryRefused& e) {
    EXPECT_NE(std::string(e.what()).find("passed its limit of 1 MB"), std::string::npos)
        << e.what();
  }
  // A value past 64 MB is never made: SQLite's printf gives NULL at the limit (after a few
  // seconds of its padding loop, which no progress handler interrupts: a bound, not a 2 GB string).
  const auto start = std::chrono::steady_clock::now();
  const QueryResult huge =
      RunReadOnlyQuery(db, "SELECT length(printf('%.*c', 2000000000, 'x'))");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(huge.rows[0][0]));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30);
  try {
    RunReadOnlyQuery(db, "SELECT length(zeroblob(100000000))");
    ADD_FAILURE() << "a 100 MB blob was made";
  } catch (const QueryRefused& e) {
    EXPECT_NE(std::string(e.what()).find("larger than 64 MB"), std::string::npos) << e.what();
  }
}

TEST_F(ReadOnlyQueryTest, ADamagedStoreIsAStoreErrorNamingTheRepair) {
  int64_t root_page = 0, page_size = 0;
  {
    // Everything into the main file, so that the page overwritten below is the one read.
    Database writer(path_, Database::Mode::kReadWriteCreate);
    writer.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  {
    Database db = OpenGuardedReadOnly(path_);
    root_page = std::get<int64_t>(
        RunReadOnlyQuery(db, "SELECT rootpage FROM sqlite_master WHERE name = 'jobs'").rows[0][0]);
    page_size = std::get<int64_t>(RunReadOnlyQuery(db, "PRAGMA page_size").rows[0][0]);
  }
  {
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((root_page - 1) * page_size);
    const std::string garbage(static_cast<size_t>(page_size), '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Database db = OpenGuardedReadOnly(path_);
  try {
    RunReadOnlyQuery(db, "SELECT * FROM jobs");
    ADD_FAILURE() << "a damaged table was read";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("is damaged"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".recover"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnsweep
