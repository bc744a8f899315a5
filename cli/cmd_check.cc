#include "cli/cmd_check.h"

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "store/integrity_check.h"
#include "store/sqlite_handle.h"

namespace attnsweep {

CLI::App* SetupCheckCommand(CLI::App& app, CheckOptions* options) {
  CLI::App* check = app.add_subcommand(
      "check",
      "Check a store's integrity in full (SQLite's integrity_check and foreign_key_check), "
      "read-only: exit 0 intact, 3 damaged. Writers (run, resume, rm, tag, stop) run the quicker "
      "quick_check as they open it");
  AddDbOption(check, &options->db);
  return check;
}

int RunCheckCommand(const CheckOptions& options) {
  if (!ExistingStore(options.db, "pass --db with the store to check")) return kExitStoreError;
  constexpr int kShown = 20;
  const Database db(options.db, Database::Mode::kReadOnly);
  const auto problems = IntegrityProblems(db, /*thorough=*/true, kShown);
  if (problems.empty()) {
    std::printf("store '%s' is intact (integrity_check and foreign_key_check: ok, %.1f MB)\n",
                options.db.c_str(), std::filesystem::file_size(options.db) / 1e6);
    return kExitOk;
  }
  for (const auto& problem : problems) std::printf("%s\n", problem.c_str());
  if (problems.size() >= static_cast<size_t>(kShown)) {
    std::printf("(the first %d problems; there may be more)\n", kShown);
  }
  PrintError(DamagedStoreMessage(
      options.db,
      std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems")));
  return kExitStoreError;
}

}  // namespace attnsweep
