// Thin RAII wrappers over the SQLite C API. They throw StoreError; callers above the store catch it
// once, at the command boundary, and turn it into exit code 3.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

// SQLite's own handles, declared here so that users of the store (the CLI) never include
// sqlite3.h; only store/*.cc do.
struct sqlite3;
struct sqlite3_stmt;

namespace attnsweep {

class StoreError : public std::runtime_error {
 public:
  StoreError(const std::string& message, int sqlite_code = 0)
      : std::runtime_error(message), sqlite_code_(sqlite_code) {}
  int sqlite_code() const { return sqlite_code_; }

 private:
  int sqlite_code_;
};

class Database {
 public:
  // kImmutableSnapshot reads a store whose folder we cannot write (so SQLite cannot create the
  // WAL's shared-memory file): it sees what was checkpointed, not what is still in the WAL.
  enum class Mode { kReadWriteCreate, kReadOnly, kImmutableSnapshot };

  // Opens `path`; a read-write open refuses a file it could only read. Not thread-safe: one thread
  // uses one Database.
  Database(const std::string& path, Mode mode);

  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows.
  void Exec(const std::string& sql);
  int64_t LastInsertId() const;
  int Changes() const;

  // Builds a StoreError naming the file and what to do about the common cases.
  [[noreturn]] void Fail(const std::string& doing, int code) const;

  // A statement prepared once for `sql` and kept for the connection's life, lent out reset; null
  // when it is lent already. Statement(..., kReused) borrows and returns it.
  sqlite3_stmt* Borrow(std::string_view sql) const;
  void GiveBack(sqlite3_stmt* statement) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  struct Cache;
  struct CacheDeleter {
    void operator()(Cache* cache) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  // After db_: its statements are finalized before the connection closes.
  mutable std::unique_ptr<Cache, CacheDeleter> cache_;
};

class Statement {
 public:
  // kReused: the connection's kept statement for this SQL (Database::Borrow), for statements run
  // often, such as the coordinator's writes: preparing one cost more than running it.
  enum class Prepare { kFresh, kReused };
  Statement(const Database& db, std::string_view sql, Prepare prepare = Prepare::kFresh);

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, const std::string& value);
  Statement& BindNull(int index);

  // Advances to the next row; false when the statement is done.
  bool Step();
  // Runs a statement that returns no rows.
  void Run() {
    while (Step()) {
    }
  }
  void Reset();

  int ColumnCount() const;
  std::string ColumnName(int i) const;
  int ColumnType(
      int i) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
  bool IsNull(int i) const;
  int64_t Int(int i) const;
  double Double(int i) const;
  std::string Text(int i) const;

  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  struct Finalizer {
    const Database* lender;  // set for a borrowed statement: reset and return it
    void operator()(sqlite3_stmt* s) const noexcept;
  };
  const Database& db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

// The version of the SQLite library linked in ("3.40.1"), for the batch's record of versions.
std::string SqliteLibraryVersion();

// BEGIN IMMEDIATE (takes the write lock at once, so a busy store fails here, not mid-way); rolls
// back in the destructor unless committed. Inside another transaction it is a savepoint of it
// instead: it commits into the outer transaction, or undoes only its own writes.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Database& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace attnsweep
