#include "store/sqlite_handle.h"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_map>

namespace attnsweep {

namespace {
// How long a writer waits for another process's lock before giving up with a clear error.
constexpr int kBusyTimeoutMs = 10000;
}  // namespace

Database::Database(const std::string& path, Mode mode) : path_(path) {
  std::error_code no_type;
  if (std::filesystem::is_directory(path, no_type)) {
    throw StoreError("'" + path + "' is a directory, not a store: --db takes the store's file " +
                     "(a.db, say)");
  }
  sqlite3* raw = nullptr;
  int flags = mode == Mode::kReadWriteCreate ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                             : SQLITE_OPEN_READONLY;
  std::string name = path;
  if (mode == Mode::kImmutableSnapshot) {
    name = "file:";
    for (char c : path) {
      if (c == '?' || c == '#' || c == '%') {
        char escaped[4];
        std::snprintf(escaped, sizeof(escaped), "%%%02X", static_cast<unsigned char>(c));
        name += escaped;
      } else {
        name += c;
      }
    }
    name += "?immutable=1";
    flags |= SQLITE_OPEN_URI;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) Fail("open", rc);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // fts3_tokenizer() returns a pointer into libsqlite3 and, with two arguments, installs any
  // pointer as a tokenizer: a known exploit primitive, on in Debian's build. Nothing here uses it.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  if (mode == Mode::kReadWriteCreate && sqlite3_db_readonly(raw, "main") == 1) {
    throw StoreError("store '" + path +
                         "' is read-only: make the file and its folder writable, or pass --db "
                         "with another path",
                     SQLITE_READONLY);
  }
}

void Database::Fail(const std::string& doing, int code) const {
  std::string detail = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(code);
  std::string advice;
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      if (detail.find("locked") != std::string::npos) {
        advice = ": another process holds the store's write lock; wait for it or use another --db";
      }
      break;
    case SQLITE_READONLY:
      advice = ": the store is read-only; make the file and its folder writable";
      break;
    case SQLITE_CANTOPEN:
      advice = ": check that the path exists and its folder is writable";
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      advice = ": this file is not an attnsweep store (or it is damaged)";
      break;
    case SQLITE_FULL:
      advice = ": the disk is full";
      break;
    default:
      break;
  }
  throw StoreError("store '" + path_ + "': cannot " + doing + ": " + detail + advice, code);
}

void Database::Exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text stays available from sqlite3_errmsg
  if (rc != SQLITE_OK) {
    Fail("execute '" + sql.substr(0, 60) + "'", rc);
  }
}

struct Database::Cache {
  struct Entry {
    sqlite3_stmt* statement = nullptr;
    bool lent = false;
  };
  std::unordered_map<std::string, Entry> entries;
};

void Database::CacheDeleter::operator()(Cache* cache) const noexcept {
  for (auto& [sql, entry] : cache->entries) sqlite3_finalize(entry.statement);
  delete cache;
}

sqlite3_stmt* Database::Borrow(std::string_view sql) const {
  if (!cache_) cache_.reset(new Cache());
  auto [found, added] = cache_->entries.try_emplace(std::string(sql));
  Cache::Entry& entry = found->second;
  if (added) {
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &entry.statement, nullptr);
    if (rc != SQLITE_OK) {
      cache_->entries.erase(found);
      Fail("prepare '" + std::string(sql.substr(0, 60)) + "'", rc);
    }
  }
  if (entry.lent) return nullptr;
  entry.lent = true;
  return entry.statement;
}

void Database::GiveBack(sqlite3_stmt* statement) const {
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  for (auto& [sql, entry] : cache_->entries) {
    if (entry.statement == statement) entry.lent = false;
  }
}

Statement::Statement(const Database& db, std::string_view sql, Prepare prepare) : db_(db) {
  if (prepare == Prepare::kReused) {
    if (sqlite3_stmt* kept = db.Borrow(sql)) {
      stmt_ = std::unique_ptr<sqlite3_stmt, Finalizer>(kept, Finalizer{&db});
      return;
    }
  }
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  stmt_ = std::unique_ptr<sqlite3_stmt, Finalizer>(raw, Finalizer{nullptr});
  if (rc != SQLITE_OK) db.Fail("prepare '" + std::string(sql.substr(0, 60)) + "'", rc);
}

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_.Fail("bind", rc);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_.Fail("bind", rc);
  return *this;
}

Statement& Statement::Bind(int index, const std::string& value) {
  const int rc = sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.Fail("bind", rc);
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) db_.Fail("bind", rc);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.Fail("run '" + std::string(sqlite3_sql(stmt_.get())).substr(0, 60) + "'", rc);
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::Text(int i) const {
  const auto* text = sqlite3_column_text(stmt_.get(), i);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), i)));
}

namespace {
// A nested transaction's savepoint, in the three statements that name it.
#define ATTNSWEEP_SAVEPOINT "attnsweep_nested"
constexpr const char* kBeginNested = "SAVEPOINT " ATTNSWEEP_SAVEPOINT;
constexpr const char* kCommitNested = "RELEASE " ATTNSWEEP_SAVEPOINT;
constexpr const char* kUndoNested =
    "ROLLBACK TO " ATTNSWEEP_SAVEPOINT "; RELEASE " ATTNSWEEP_SAVEPOINT;
#undef ATTNSWEEP_SAVEPOINT
}  // namespace

Transaction::Transaction(Database& db) : db_(db), nested_(sqlite3_get_autocommit(db.get()) == 0) {
  Statement(db_, nested_ ? kBeginNested : "BEGIN IMMEDIATE", Statement::Prepare::kReused).Run();
}

Transaction::~Transaction() {
  if (done_) return;
  sqlite3_exec(db_.get(), nested_ ? kUndoNested : "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  Statement(db_, nested_ ? kCommitNested : "COMMIT", Statement::Prepare::kReused).Run();
  done_ = true;
}

std::string SqliteLibraryVersion() { return sqlite3_libversion(); }

void Database::Closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_.get()); }
int Database::Changes() const { return sqlite3_changes(db_.get()); }

void Statement::Finalizer::operator()(sqlite3_stmt* s) const noexcept {
  if (lender != nullptr) {
    lender->GiveBack(s);
  } else {
    sqlite3_finalize(s);
  }
}
int Statement::ColumnCount() const { return sqlite3_column_count(stmt_.get()); }
std::string Statement::ColumnName(int i) const { return sqlite3_column_name(stmt_.get(), i); }
int Statement::ColumnType(int i) const { return sqlite3_column_type(stmt_.get(), i); }
bool Statement::IsNull(int i) const { return ColumnType(i) == SQLITE_NULL; }
int64_t Statement::Int(int i) const { return sqlite3_column_int64(stmt_.get(), i); }
double Statement::Double(int i) const { return sqlite3_column_double(stmt_.get(), i); }

}  // namespace attnsweep
