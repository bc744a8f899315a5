#include "cli/common.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <spdlog/spdlog.h>

#include "experiments/base/label_rules.h"
#include "store/batch_lookup.h"
#include "store/result_store.h"

namespace attnsweep {

namespace {
// The --db options added, with their commands: after parsing, NoteUnnamedStore says which store a
// command reads when none was named.
std::vector<std::pair<const CLI::App*, const CLI::Option*>>& DbOptions() {
  static std::vector<std::pair<const CLI::App*, const CLI::Option*>> options;
  return options;
}
}  // namespace

void AddDbOption(CLI::App* command, std::string* db) {
  const CLI::Option* option =
      command
          ->add_option("--db", *db,
                       "the result store (SQLite file); without it, $" +
                           std::string(kStoreEnvironment) + " or attnsweep.db")
          ->envname(kStoreEnvironment)
          ->capture_default_str();
  DbOptions().emplace_back(command, option);
}

void NoteUnnamedStore() {
  if (std::getenv(kStoreEnvironment) != nullptr) return;
  for (const auto& [command, option] : DbOptions()) {
    if (command->parsed() && option->count() == 0) {
      PrintNote("store '" + option->as<std::string>() + "' (no --db given; --db or $" +
                std::string(kStoreEnvironment) + " names another)");
    }
  }
}

void AddFormatOption(CLI::App* command, std::string* format) {
  command->add_option("--format", *format, "how to print: table, csv, json or markdown")
      ->check(CLI::IsMember(OutputFormatNames()))
      ->capture_default_str();
}

std::optional<int64_t> ResolveBatch(ResultStore& store, const std::string& id_or_name,
                                    const std::string& db_path, bool unfinished) {
  std::string problem;
  auto id = ResolveBatchId(store, id_or_name, db_path, unfinished, &problem);
  if (!id) PrintError(problem);
  return id;
}

std::optional<std::vector<int64_t>> SelectBatches(ResultStore& store,
                                                  const std::vector<std::string>& names, bool all,
                                                  const std::string& db_path,
                                                  const std::string& where) {
  std::vector<int64_t> ids;
  static const std::regex kNamesBatch(R"(\bbatch(_id)?\b)", std::regex::icase);
  if (all || (names.empty() && std::regex_search(where, kNamesBatch))) {
    for (const BatchSummary& b : store.ListBatches()) ids.push_back(b.id);
    if (ids.empty()) {
      PrintError("store '" + db_path + "' has no batches yet: run `attnsweep run GRID.yaml`");
      return std::nullopt;
    }
    return ids;
  }
  if (names.empty()) {
    auto id = ResolveBatch(store, "", db_path);
    if (!id) return std::nullopt;
    // A count, not ListBatches: that sums every batch's jobs, work every read would pay for.
    if (const int64_t batches = store.BatchCount(); batches > 1) {
      PrintNote("the newest batch only (" + std::to_string(*id) + " of " + std::to_string(batches) +
                "): name batches (ids or names) or pass --all for every one");
    }
    return std::vector<int64_t>{*id};
  }
  for (const auto& name : names) {
    auto id = ResolveBatch(store, name, db_path);
    if (!id) return std::nullopt;
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

void AddBatchSelection(CLI::App* command, std::vector<std::string>* batches, bool* all) {
  command->add_option("batch", *batches,
                      "batch ids or names (default: the newest batch; every batch when --where "
                      "names batch_id)");
  command->add_flag("--all", *all, "every batch in the store (the batch becomes a key)");
}

void PrintNote(const std::string& message) { std::fprintf(stderr, "note: %s\n", message.c_str()); }

size_t OutputWidth() {
  winsize size{};
  if (isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return kPipedOutputWidth;
}

void PrintTable(const Table& table, const std::string& format) {
  std::cout << RenderTable(table, ParseOutputFormat(format), OutputWidth()) << std::flush;
}

bool ExistingStore(const std::string& db_path, const std::string& what_to_do) {
  std::error_code error;
  if (std::filesystem::exists(db_path, error)) return true;
  if (error) {
    PrintError("cannot look for a store at '" + db_path + "': " + error.message());
    return false;
  }
  PrintError("no store at '" + db_path + "': " + what_to_do);
  return false;
}

void PrintError(const std::string& message) {
  // Messages quote stored text (names, paths): its control characters are shown, not obeyed.
  std::fprintf(stderr, "error: %s\n",
               EscapeControlCharacters(message, /*keep_newlines=*/true).c_str());
}

}  // namespace attnsweep
