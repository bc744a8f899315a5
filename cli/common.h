// Pieces shared by the subcommands: the --db and --format options, finding a batch, printing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/output_format.h"

namespace CLI {
class App;
}

namespace attnsweep {

class ResultStore;

constexpr const char* kDefaultStorePath = "attnsweep.db";

// $ATTNSWEEP_DB: the store of every command not given --db (a shell session on one study).
inline constexpr const char* kStoreEnvironment = "ATTNSWEEP_DB";
// --db, defaulting to $ATTNSWEEP_DB, else attnsweep.db.
void AddDbOption(CLI::App* command, std::string* db);
// After parsing: on stderr, the store a command reads when neither --db nor $ATTNSWEEP_DB named it.
void NoteUnnamedStore();
void AddFormatOption(CLI::App* command, std::string* format);

// The batch named by `id_or_name`, or when it is empty the newest batch (the newest not done or
// failed with `unfinished`). Prints why and returns nullopt when there is none.
std::optional<int64_t> ResolveBatch(ResultStore& store, const std::string& id_or_name,
                                    const std::string& db_path, bool unfinished = false);

// The batches a reading command (results, report, export, jobs) works on: those named (ids or
// names), every batch with `all`, else the newest one — or every batch when the `where` condition
// names a batch column, so that `--where "batch_id = 1"` chooses by itself. Prints why and returns
// nullopt when a named batch does not exist or the store has none.
std::optional<std::vector<int64_t>> SelectBatches(ResultStore& store,
                                                  const std::vector<std::string>& names, bool all,
                                                  const std::string& db_path,
                                                  const std::string& where = "");

// The positional BATCH... and --all options of the reading commands.
void AddBatchSelection(CLI::App* command, std::vector<std::string>* batches, bool* all);

void PrintTable(const Table& table, const std::string& format);
// The width a printed table's lines may take: the terminal's, or kPipedOutputWidth when stdout is
// no terminal (a file, a pipe, `less`), where no width is known.
size_t OutputWidth();
constexpr size_t kPipedOutputWidth = 100;

// Prints "note: ..." on stderr: what a reader should know about a table, kept off stdout so that
// csv and json stay clean.
void PrintNote(const std::string& message);

// For commands that write to an existing store (resume, stop): false, with the reason printed, when
// there is no file there, rather than creating an empty store. `what_to_do` follows "no store at
// ...:" in that message.
bool ExistingStore(
    const std::string& db_path,
    const std::string& what_to_do = "pass --db with the store the batch was run into");

// Prints "error: ..." on stderr (not through the logger: it must show even with -q).
void PrintError(const std::string& message);

}  // namespace attnsweep
