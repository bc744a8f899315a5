// Pieces shared by the subcommands: the --db and --format options, finding a batch, printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/output_format.h"

namespace CLI {
class App;
}

namespace attnsweep {

class ResultStore;

constexpr const char* kDefaultStorePath = "attnsweep.db";

void AddDbOption(CLI::App* command, std::string* db);
void AddFormatOption(CLI::App* command, std::string* format);

// The batch named by `id_or_name`, or when it is empty the newest batch (the newest not done or
// failed with `unfinished`). Prints why and returns nullopt when there is none.
std::optional<int64_t> ResolveBatch(ResultStore& store, const std::string& id_or_name,
                                    const std::string& db_path, bool unfinished = false);

void PrintTable(const Table& table, const std::string& format);

// For commands that write to an existing store (resume, stop): false, with the reason printed, when
// there is no file there, rather than creating an empty store.
bool ExistingStore(const std::string& db_path);

// Prints "error: ..." on stderr (not through the logger: it must show even with -q).
void PrintError(const std::string& message);

}  // namespace attnsweep
