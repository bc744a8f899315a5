// Read-only SQL over a store, for `attnsweep query` and `results --where`. Three layers keep it
// read-only: the file is opened SQLITE_OPEN_READONLY, `PRAGMA query_only` is set, and an authorizer
// refuses every writing action, ATTACH/DETACH, any PRAGMA that is not a known read-only one and any
// function not on a list of SQLite's plain ones (fts3_tokenizer() hands out and takes pointers),
// with a message that says which. Limits bound what one statement may cost: its running time, its
// result's size, and any one string or blob it makes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "store/sqlite_handle.h"

namespace attnsweep {

// The user's SQL was refused (not a store failure): exit code 2.
class QueryRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Cell = std::variant<std::monostate, int64_t, double, std::string>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

struct QueryLimits {
  double seconds = 60;                        // the statement is stopped past this
  int64_t result_bytes = int64_t{256} << 20;  // the rows' text and numbers, all together
};

// The largest string or blob a guarded statement may make (SQLITE_LIMIT_LENGTH): printf('%.*c',
// 2e9, 'x') fails at once instead of building 2 GB.
constexpr int kQueryValueBytes = 64 << 20;

// Opens an existing store read-only with the guards above. Throws StoreError when the file is
// missing or not a store.
Database OpenGuardedReadOnly(const std::string& path);

// Defines a TEMP view (`create_sql`, ours, never the user's) on a connection opened by
// OpenGuardedReadOnly: the guards are lifted for that statement alone. A temp view lives in the
// connection's own temp schema; nothing reaches the store's file.
void DefineTempView(const Database& db, const std::string& create_sql);

// Runs exactly one statement. Throws QueryRefused for writes, for SQL errors in the user's text
// and for a statement past its limits; StoreError (a store failure, exit 3) for a damaged store.
QueryResult RunReadOnlyQuery(const Database& db, const std::string& sql,
                             const QueryLimits& limits = {});

}  // namespace attnsweep
