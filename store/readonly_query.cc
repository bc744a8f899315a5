#include "store/readonly_query.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "store/schema.h"

namespace attnsweep {
namespace {

// Pragmas that only report; any of them with an argument that would set a value is still refused.
const char* const kReadOnlyPragmas[] = {
    "table_info",  "table_xinfo",      "table_list",     "index_list",     "index_info",
    "index_xinfo", "foreign_key_list", "database_list",  "collation_list", "function_list",
    "pragma_list", "compile_options",  "user_version",   "schema_version", "page_count",
    "page_size",   "journal_mode",     "freelist_count", "encoding",       "data_version",
    "quick_check", "integrity_check"};
// Pragmas whose argument names a table or index rather than setting a value.
const char* const kPragmasTakingAName[] = {"table_info", "table_xinfo", "index_list",
                                           "index_info", "index_xinfo", "foreign_key_list",
                                           "table_list"};

bool InList(const char* const* begin, const char* const* end, const std::string& name) {
  return std::any_of(begin, end, [&](const char* p) { return name == p; });
}

// Why the authorizer last refused, so the message can say it (SQLite only says "not authorized").
// The authorizer runs inside sqlite3_prepare on the calling thread, so one slot per thread
// suffices.
thread_local std::string t_refusal;

int Authorize(void*, int action, const char* arg1, const char* arg2, const char*, const char*) {
  auto refuse = [&](const std::string& what) {
    if (t_refusal.empty()) t_refusal = what;
    return SQLITE_DENY;
  };
  const std::string a1 = arg1 ? arg1 : "";
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      std::string name = a1;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      const bool known = InList(std::begin(kReadOnlyPragmas), std::end(kReadOnlyPragmas), name);
      const bool takes_name =
          InList(std::begin(kPragmasTakingAName), std::end(kPragmasTakingAName), name);
      if (known && (arg2 == nullptr || takes_name)) return SQLITE_OK;
      return refuse("PRAGMA " + a1 + (arg2 ? " = " + std::string(arg2) : "") +
                    " (only reading pragmas such as table_info are allowed)");
    }
    case SQLITE_ATTACH:
      return refuse("ATTACH");
    case SQLITE_DETACH:
      return refuse("DETACH");
    case SQLITE_INSERT:
      return refuse("INSERT into " + a1);
    case SQLITE_UPDATE:
      // Table-valued pragmas (SELECT ... FROM pragma_table_info('jobs')) are announced as updates
      // of sqlite_master's columns. A real write there is still stopped by the read-only open and
      // query_only, and sqlite3_stmt_readonly() below.
      if (a1 == "sqlite_master" || a1 == "sqlite_schema") return SQLITE_OK;
      return refuse("UPDATE of " + a1);
    case SQLITE_DELETE:
      return refuse("DELETE from " + a1);
    default:
      return refuse("a statement that changes the store or the connection");
  }
}

}  // namespace

namespace {

// A store a read-only command may read: read-only, or an immutable snapshot where its folder
// cannot be written.
Database OpenReadable(const std::string& path) {
  auto open = [&](Database::Mode mode) {
    Database db(path, mode);
    CheckSchemaReadable(db);
    return db;
  };
  try {
    return open(Database::Mode::kReadOnly);
  } catch (const StoreError& e) {
    const int code = e.sqlite_code() & 0xff;
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) throw;
    // A WAL store in a folder we cannot write (a shared results folder, say).
    spdlog::warn(
        "reading '{}' as an immutable snapshot: its folder is not writable, so results "
        "not yet checkpointed from its WAL may not show",
        path);
    return open(Database::Mode::kImmutableSnapshot);
  }
}

// Today's read paths name today's columns: a store an older attnsweep wrote (schema `version`) is
// brought up to date (its migrations only add), once, where it can be written. True when it was;
// where it cannot be, it stays as it is and a read may then name what it lacks.
bool UpgradeOlderStore(const std::string& path, int version) {
  try {
    Database db(path, Database::Mode::kReadWriteCreate);
    MigrateSchema(db);
    spdlog::info("upgraded store '{}' from schema version {} to {}", path, version,
                 CurrentSchemaVersion());
    return true;
  } catch (const StoreError& e) {
    spdlog::warn(
        "store '{}' has schema version {} and could not be upgraded to {} here ({}); "
        "open it once with `attnsweep resume` where it is writable",
        path, version, CurrentSchemaVersion(), e.what());
    return false;
  }
}

}  // namespace

Database OpenGuardedReadOnly(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw StoreError("no store at '" + path +
                     "': run `attnsweep run GRID.yaml` first, or pass --db with the store's path");
  }
  Database db = OpenReadable(path);
  // Only a store of an older schema is opened twice.
  if (const int version = SchemaVersion(db);
      version < CurrentSchemaVersion() && UpgradeOlderStore(path, version)) {
    db = OpenReadable(path);
  }
  db.Exec("PRAGMA query_only = 1");
  sqlite3_set_authorizer(db.get(), Authorize, nullptr);
  return db;
}

QueryResult RunReadOnlyQuery(const Database& db, const std::string& sql) {
  t_refusal.clear();
  const char* tail = nullptr;
  sqlite3_stmt* raw = nullptr;
  const int rc =
      sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (rc != SQLITE_OK) {
    if (!t_refusal.empty()) {
      throw QueryRefused("query refused: attnsweep query is read-only, and this statement does " +
                         t_refusal + "; use sqlite3 on a copy of the store to change it");
    }
    throw QueryRefused(std::string("SQL error: ") + sqlite3_errmsg(db.get()));
  }
  if (!stmt) throw QueryRefused("the query is empty: give one SQL statement, such as SELECT ...");
  const std::string rest(tail ? tail : "");
  if (rest.find_first_not_of(" \t\r\n;") != std::string::npos) {
    throw QueryRefused("give one SQL statement at a time (found more after the first ';')");
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    throw QueryRefused("query refused: attnsweep query is read-only");
  }

  QueryResult result;
  const int columns = sqlite3_column_count(stmt.get());
  for (int i = 0; i < columns; ++i) result.columns.push_back(sqlite3_column_name(stmt.get(), i));
  for (;;) {
    const int step = sqlite3_step(stmt.get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW)
      throw QueryRefused(std::string("SQL error: ") + sqlite3_errmsg(db.get()));
    std::vector<Cell> row;
    row.reserve(columns);
    for (int i = 0; i < columns; ++i) {
      switch (sqlite3_column_type(stmt.get(), i)) {
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt.get(), i)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(stmt.get(), i));
          break;
        case SQLITE_NULL:
          row.emplace_back(std::monostate{});
          break;
        case SQLITE_BLOB:
          row.emplace_back("<blob of " + std::to_string(sqlite3_column_bytes(stmt.get(), i)) +
                           " bytes>");
          break;
        default:
          row.emplace_back(
              std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), i)),
                          static_cast<size_t>(sqlite3_column_bytes(stmt.get(), i))));
      }
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace attnsweep
