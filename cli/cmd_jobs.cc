#include "cli/cmd_jobs.h"

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/job_rows.h"
#include "experiments/base/exit_codes.h"
#include "store/result_store.h"

namespace attnsweep {

CLI::App* SetupJobsCommand(CLI::App& app, JobsOptions* options) {
  CLI::App* command = app.add_subcommand(
      "jobs",
      "One row per job: the keys that tell it apart, its status and failure kind, attempts, "
      "where it ran, how long it took, how far it got (a training job's epoch and validation "
      "figure), the first line of its error");
  AddBatchSelection(command, &options->batches, &options->all);
  AddDbOption(command, &options->db);
  command->add_option("--status", options->status, "only jobs with this status")
      ->check(CLI::IsMember({"pending", "running", "done", "failed"}));
  AddFormatOption(command, &options->format);
  return command;
}

int RunJobsCommand(const JobsOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const auto batch_ids = SelectBatches(store, options.batches, options.all, options.db);
  if (!batch_ids) return kExitBadInput;
  std::vector<RungDecisionRecord> decisions;
  for (int64_t batch : *batch_ids) {
    const auto of_batch = store.RungDecisions(batch);
    decisions.insert(decisions.end(), of_batch.begin(), of_batch.end());
  }
  PrintTable(JobsTable(store.JobsWithMetrics(*batch_ids), options.status, decisions),
             options.format);
  return kExitOk;
}

}  // namespace attnsweep
