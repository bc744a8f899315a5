#include "cli/common.h"

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "store/result_store.h"

namespace attnsweep {

void AddDbOption(CLI::App* command, std::string* db) {
  command->add_option("--db", *db, "the result store (SQLite file)")->capture_default_str();
}

void AddFormatOption(CLI::App* command, std::string* format) {
  command->add_option("--format", *format, "how to print: table, csv, json or markdown")
      ->check(CLI::IsMember(OutputFormatNames()))
      ->capture_default_str();
}

std::optional<int64_t> ResolveBatch(ResultStore& store, const std::string& id_or_name,
                                    const std::string& db_path) {
  auto id = id_or_name.empty() ? store.LatestBatchId() : store.FindBatchId(id_or_name);
  if (!id) {
    PrintError(id_or_name.empty()
                   ? "store '" + db_path + "' has no batches yet: run `attnsweep run GRID.yaml`"
                   : "no batch '" + id_or_name + "' in '" + db_path +
                         "': `attnsweep status` lists the batches");
  }
  return id;
}

void PrintTable(const Table& table, const std::string& format) {
  std::cout << RenderTable(table, ParseOutputFormat(format)) << std::flush;
}

void PrintError(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
}

}  // namespace attnsweep
