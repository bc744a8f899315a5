// The `wide` view: every job of a store as one row, with every config key and every figure in a
// column of its own, named as `attnsweep export` names them ("data.max_len", "test_auc_lo";
// a figure named like a config key or a job column is "metric.NAME"). It is what `attnsweep
// query` and `results --where` read, so that one vocabulary — the dotted keys of the grid, the
// metric names of the tasks — works everywhere. Its columns depend on what the store holds, so it
// is made per connection, in the connection's own temp schema: nothing is written to the store.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "store/sqlite_handle.h"

namespace attnsweep {

struct WideView {
  std::set<std::string> columns;      // every column's name
  std::set<std::string> config_keys;  // the dotted config keys among them
};

// Makes TEMP VIEW wide on a connection opened by OpenGuardedReadOnly (any stored jobs' keys and
// figures; none when the store is empty) and says what it holds.
WideView CreateWideView(const Database& db);

// `sql` with each bare dotted name (`data.max_len`, outside strings, quoted names and comments)
// that `rename` maps replaced by what it returns; other text unchanged. Numbers (1.5e3) are
// not names.
std::string RewriteDottedNames(
    const std::string& sql,
    const std::function<std::optional<std::string>(const std::string&)>& rename);

// `name` as an SQL identifier: double-quoted, inner quotes doubled.
std::string QuoteIdentifier(const std::string& name);

}  // namespace attnsweep
