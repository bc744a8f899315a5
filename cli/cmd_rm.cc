#include "cli/cmd_rm.h"

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "experiments/base/label_rules.h"
#include "store/result_store.h"
#include "workers/job_logs.h"

namespace attnsweep {

CLI::App* SetupRmCommand(CLI::App& app, RmOptions* options) {
  CLI::App* command = app.add_subcommand(
      "rm",
      "Delete batches: their jobs, attempts, metrics and curves, job logs and the checkpoints no "
      "other batch shares (results other batches reused stay in those batches)");
  command->add_option("batch", options->batches, "batch ids or names")->required();
  AddDbOption(command, &options->db);
  return command;
}

int RunRmCommand(const RmOptions& options) {
  if (!ExistingStore(options.db)) return kExitStoreError;
  ResultStore store = ResultStore::OpenForWriting(options.db);
  const auto batch_ids = SelectBatches(store, options.batches, false, options.db);
  if (!batch_ids) return kExitBadInput;
  // All refused before any is deleted: a command either does what it says or nothing.
  for (int64_t id : *batch_ids) {
    const BatchRecord batch = *store.FindBatchRecord(id);
    if (batch.lease_live) {
      PrintError("batch " + std::to_string(id) + " is running (coordinator " + batch.lease_owner +
                 "): `attnsweep stop " + std::to_string(id) + "` it first, then rm it");
      // As `resume` answers a batch another live coordinator holds.
      return kExitStoreError;
    }
  }
  for (int64_t id : *batch_ids) {
    const BatchSummary summary = *store.FindBatch(id);
    const std::vector<std::string> orphan_keys = store.DeleteBatch(id);
    std::error_code ignored;
    std::filesystem::remove_all(JobLogRoot(options.db) + "/" + std::to_string(id), ignored);
    int checkpoints = 0;
    for (const auto& key : orphan_keys) {
      checkpoints +=
          std::filesystem::remove(CheckpointPath(CheckpointRoot(options.db), key), ignored);
    }
    std::printf("deleted batch %lld '%s': %lld jobs with their results and logs, %d checkpoints\n",
                static_cast<long long>(id), EscapeControlCharacters(summary.name).c_str(),
                static_cast<long long>(summary.total), checkpoints);
  }
  return kExitOk;
}

}  // namespace attnsweep
