// The store's tables and views, created and upgraded by numbered migrations recorded in
// PRAGMA user_version.
#pragma once

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

}  // namespace attnsweep
