// Read-only SQL over a store, for `attnsweep query` and `results --where`. Three layers keep it
// read-only: the file is opened SQLITE_OPEN_READONLY, `PRAGMA query_only` is set, and an authorizer
// refuses every writing action, ATTACH/DETACH and any PRAGMA that is not a known read-only one,
// with a message that says which.
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

// Opens an existing store read-only with the guards above. Throws StoreError when the file is
// missing or not a store.
Database OpenGuardedReadOnly(const std::string& path);

// Runs exactly one statement. Throws QueryRefused for writes and for SQL errors in the user's text.
QueryResult RunReadOnlyQuery(const Database& db, const std::string& sql);

}  // namespace attnsweep
