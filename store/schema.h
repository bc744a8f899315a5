// The store's tables and views, created and upgraded by numbered migrations recorded in
// PRAGMA user_version.
#pragma once

#include <string>
#include <vector>

#include "store/sqlite_handle.h"

namespace attnsweep {

// The schema version this build writes.
int CurrentSchemaVersion();

// Brings a store opened for writing up to `target` (today's version unless a test wants an older
// store), each step in its own transaction. Refuses a store written by a newer attnsweep.
void MigrateSchema(Database& db, int target = CurrentSchemaVersion());

// For read-only opens: refuses an empty file or one from a newer attnsweep, without writing.
void CheckSchemaReadable(const Database& db);
// The store's schema version (PRAGMA user_version); 0 for a file that is no store.
int SchemaVersion(const Database& db);

// What the views over `jobs j` (the results view, and the wide view of wide_view.h) select, so
// that both say it one way:
// the results view's short names of config keys (`max_len` for data.max_len), in its order;
struct ConfigShortName {
  const char* name;
  const char* key;  // dotted
};
const std::vector<ConfigShortName>& ConfigShortNames();
// `json_extract(j.config, '$.<key>')`;
std::string ConfigValueSql(const std::string& dotted_key);
// a job's figure `name` (NULL where it has none);
std::string FigureSql(const std::string& name);
// every job's wall time: a sleep job's own `seconds` figure where it has one, else from its start
// to its finish.
std::string WallSecondsSql();

}  // namespace attnsweep
