#include "cli/cmd_stop.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "store/result_store.h"

namespace attnsweep {

CLI::App* SetupStopCommand(CLI::App& app, StopOptions* options) {
  CLI::App* stop = app.add_subcommand(
      "stop",
      "Drain a running batch: its running jobs finish, no new ones start (SIGUSR1 to the "
      "coordinator does the same)");
  stop->add_option("batch", options->batch, "a batch id or name (default: the newest unfinished)");
  AddDbOption(stop, &options->db);
  return stop;
}

int RunStopCommand(const StopOptions& options) {
  if (!ExistingStore(options.db)) return kExitStoreError;
  ResultStore store = ResultStore::OpenForWriting(options.db);
  const auto batch_id = ResolveBatch(store, options.batch, options.db, /*unfinished=*/true);
  if (!batch_id) {
    return kExitBadInput;
  }
  const BatchRecord batch = *store.FindBatchRecord(*batch_id);
  if (!batch.lease_live) {
    std::printf("batch %lld is not running (status %s): nothing to stop\n",
                static_cast<long long>(*batch_id), batch.status.c_str());
    return kExitOk;
  }
  store.RequestStop(*batch_id);
  std::printf(
      "asked batch %lld (coordinator %s) to drain: its running jobs finish and no new ones "
      "start; `attnsweep resume %lld --db %s` continues it\n",
      static_cast<long long>(*batch_id), batch.lease_owner.c_str(),
      static_cast<long long>(*batch_id), options.db.c_str());
  return kExitOk;
}

}  // namespace attnsweep
