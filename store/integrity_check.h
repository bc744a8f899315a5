// Whether a store file is intact, by SQLite's own checks. quick_check reads every page and checks
// each b-tree's structure (not that indexes agree with their tables): linear in the file's size,
// so a writer runs it as it opens a store, before writing into damage. integrity_check adds the
// index cross-checks, and foreign_key_check the references between tables: `attnsweep check`.
#pragma once

#include <string>
#include <vector>

namespace attnsweep {

class Database;

// SQLite's problems with `db`, up to `limit` of them: quick_check's, or with `thorough`
// integrity_check's and foreign_key_check's. Empty when the store is intact. A store too damaged
// to run the check to its end gives that failure as its last problem; a file that is no database
// at all throws StoreError (exit 3, "not an attnsweep store").
std::vector<std::string> IntegrityProblems(const Database& db, bool thorough, int limit = 20);

// What a damaged store is told as: the file, the first problem and how to recover what it holds.
std::string DamagedStoreMessage(const std::string& path, const std::string& problem);

// Throws StoreError (exit 3) with DamagedStoreMessage when quick_check finds `db` damaged.
void RefuseDamagedStore(const Database& db);

}  // namespace attnsweep
