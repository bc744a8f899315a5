#include "store/readonly_query.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "store/integrity_check.h"
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

// SQLite's own functions that only compute on their arguments (core, aggregate, window, date and
// time, math, JSON): a query may call these and no others. Refused, among others: fts3_tokenizer
// (returns a pointer into libsqlite3; with two arguments registers one as a tokenizer),
// load_extension, and whatever a later SQLite adds, until it is looked at and listed here.
const char* const kAllowedFunctions[] = {
    // core
    "abs", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif",
    "instr", "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif",
    "octet_length", "printf", "quote", "random", "randomblob", "replace", "round", "rtrim", "sign",
    "soundex", "sqlite_version", "substr", "substring", "trim", "typeof", "unhex", "unicode",
    "unlikely", "upper", "zeroblob",
    // aggregate
    "avg", "count", "group_concat", "string_agg", "sum", "total",
    // window
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    // date and time
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
    // math
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh",
    "degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians",
    "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
    // JSON
    "json", "jsonb", "->", "->>", "json_array", "json_array_length", "json_error_position",
    "json_extract", "json_insert", "json_object", "json_patch", "json_pretty", "json_quote",
    "json_remove", "json_replace", "json_set", "json_type", "json_valid", "json_group_array",
    "json_group_object", "json_each", "json_tree"};

bool InList(const char* const* begin, const char* const* end, const std::string& name) {
  return std::any_of(begin, end, [&](const char* p) { return name == p; });
}

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
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
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_FUNCTION: {
      // arg2 is the function's name.
      const std::string name = Lowercase(arg2 ? arg2 : "");
      if (InList(std::begin(kAllowedFunctions), std::end(kAllowedFunctions), name))
        return SQLITE_OK;
      return refuse("call " + name +
                    "() (only SQLite's plain functions are allowed: core, aggregate, window, "
                    "date and time, math and JSON ones)");
    }
    case SQLITE_PRAGMA: {
      const std::string name = Lowercase(a1);
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
  sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, kQueryValueBytes);
  sqlite3_set_authorizer(db.get(), Authorize, nullptr);
  return db;
}

void DefineTempView(const Database& db, const std::string& create_sql) {
  // The guards come back however the statement ends.
  struct Guards {
    explicit Guards(const Database& db) : db(db) {
      sqlite3_set_authorizer(db.get(), nullptr, nullptr);
      sqlite3_exec(db.get(), "PRAGMA query_only = 0", nullptr, nullptr, nullptr);
    }
    ~Guards() {
      sqlite3_exec(db.get(), "PRAGMA query_only = 1", nullptr, nullptr, nullptr);
      sqlite3_set_authorizer(db.get(), Authorize, nullptr);
    }
    Guards(const Guards&) = delete;
    Guards& operator=(const Guards&) = delete;
    const Database& db;
  } lifted(db);
  Statement(db, create_sql).Run();
}

namespace {

// Stops the statement running on `db` past its deadline: SQLite calls the handler every few
// thousand steps of its program, and a non-zero answer interrupts the statement.
class QueryDeadline {
 public:
  QueryDeadline(sqlite3* db, double seconds)
      : db_(db),
        deadline_(std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(std::min(seconds, 1e9)))) {
    sqlite3_progress_handler(db_, 10000, &QueryDeadline::Passed, this);
  }
  ~QueryDeadline() { sqlite3_progress_handler(db_, 0, nullptr, nullptr); }
  QueryDeadline(const QueryDeadline&) = delete;
  QueryDeadline& operator=(const QueryDeadline&) = delete;

  bool passed() const { return passed_; }

 private:
  static int Passed(void* self) {
    auto* deadline = static_cast<QueryDeadline*>(self);
    deadline->passed_ = std::chrono::steady_clock::now() > deadline->deadline_;
    return deadline->passed_ ? 1 : 0;
  }

  sqlite3* db_;
  std::chrono::steady_clock::time_point deadline_;
  bool passed_ = false;
};

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", seconds);
  return text;
}

// What a failed prepare or step means: a damaged store is a store error (exit 3), the rest is the
// user's SQL (exit 2).
[[noreturn]] void FailQuery(const Database& db, int code, const QueryDeadline& deadline,
                            const QueryLimits& limits) {
  const std::string message = sqlite3_errmsg(db.get());
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw StoreError(DamagedStoreMessage(db.path(), message), code);
    case SQLITE_INTERRUPT:
      if (deadline.passed()) {
        throw QueryRefused("the query ran past its time limit of " + Seconds(limits.seconds) +
                           " and was stopped: narrow it (WHERE, LIMIT), or raise --time-limit");
      }
      break;
    case SQLITE_TOOBIG:
      throw QueryRefused("the query made a value larger than " +
                         std::to_string(kQueryValueBytes >> 20) + " MB (" + message + ")");
  }
  // "no such column: data.max_len": SQL read the dot as table.column.
  static const std::string kNoColumn = "no such column: ";
  if (message.rfind(kNoColumn, 0) == 0 && message.find('.') != std::string::npos) {
    const std::string name = message.substr(kNoColumn.size());
    throw QueryRefused("SQL error: " + message +
                       " (a dotted config key or metric is a column of "
                       "the view `wide`, its name in double quotes: SELECT \"" +
                       name + "\" FROM wide)");
  }
  throw QueryRefused("SQL error: " + message);
}

}  // namespace

QueryResult RunReadOnlyQuery(const Database& db, const std::string& sql,
                             const QueryLimits& limits) {
  t_refusal.clear();
  const QueryDeadline deadline(db.get(), limits.seconds);
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
    FailQuery(db, rc, deadline, limits);
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
  int64_t result_bytes = 0;
  for (;;) {
    const int step = sqlite3_step(stmt.get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) FailQuery(db, sqlite3_extended_errcode(db.get()), deadline, limits);
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
    // Each cell as it is held: 8 bytes and its text's.
    for (const Cell& cell : row) {
      const auto* text = std::get_if<std::string>(&cell);
      result_bytes += 8 + static_cast<int64_t>(text ? text->size() : 0);
    }
    if (result_bytes > limits.result_bytes) {
      throw QueryRefused("the query's result passed its limit of " +
                         std::to_string(limits.result_bytes >> 20) + " MB after " +
                         std::to_string(result.rows.size()) +
                         " rows: narrow it (WHERE, LIMIT), or raise --max-result-mb");
    }
    result.rows.push_back(std::move(row));
  }
  return result;
}

}  // namespace attnsweep
