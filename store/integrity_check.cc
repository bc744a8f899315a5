#include "store/integrity_check.h"

#include <sqlite3.h>

#include <sstream>
#include <string>

#include "store/sqlite_handle.h"

namespace attnsweep {

std::vector<std::string> IntegrityProblems(const Database& db, bool thorough, int limit) {
  std::vector<std::string> problems;
  try {
    Statement check(db, std::string(thorough ? "PRAGMA integrity_check(" : "PRAGMA quick_check(") +
                            std::to_string(limit) + ")");
    while (check.Step()) {
      // A row may hold several lines, the first naming the schema ("*** in database main ***").
      std::string row = check.Text(0), line;
      std::istringstream lines(row);
      while (std::getline(lines, line)) {
        if (line != "ok" && !line.empty() && line.rfind("***", 0) != 0) problems.push_back(line);
      }
    }
    if (thorough) {
      // One row per row whose reference points nowhere: table, rowid, the table it names.
      Statement references(db, "PRAGMA foreign_key_check");
      while (references.Step() && static_cast<int>(problems.size()) < limit) {
        problems.push_back("a row of " + references.Text(0) + " (rowid " + references.Text(1) +
                           ") refers to a missing row of " + references.Text(2));
      }
    }
  } catch (const StoreError& e) {
    // Not a database at all is not damage: the open's own message ("not an attnsweep store") says
    // what it is.
    if ((e.sqlite_code() & 0xff) == SQLITE_NOTADB) throw;
    problems.push_back(std::string("the check could not go on: ") + sqlite3_errmsg(db.get()));
  }
  return problems;
}

std::string DamagedStoreMessage(const std::string& path, const std::string& problem) {
  return "store '" + path + "' is damaged (" + problem +
         "): nothing was written to it; recover what it holds with `sqlite3 " + path +
         " .recover | sqlite3 recovered.db` and use recovered.db";
}

void RefuseDamagedStore(const Database& db) {
  const auto problems = IntegrityProblems(db, /*thorough=*/false, /*limit=*/1);
  if (!problems.empty()) {
    throw StoreError(DamagedStoreMessage(db.path(), problems.front()), SQLITE_CORRUPT);
  }
}

}  // namespace attnsweep
