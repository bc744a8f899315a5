#include "cli/cmd_status.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/job_rows.h"
#include "cli/output_format.h"
#include "experiments/base/exit_codes.h"
#include "experiments/base/label_rules.h"
#include "experiments/base/units.h"
#include "experiments/config_schema.h"
#include "store/result_store.h"
#include "workers/stored_jobs.h"

namespace attnsweep {

CLI::App* SetupStatusCommand(CLI::App& app, StatusOptions* options) {
  CLI::App* status = app.add_subcommand("status", "Show batches and how far their jobs got");
  status->add_option("batch", options->batch, "a batch id or name; without it, every batch");
  AddDbOption(status, &options->db);
  AddFormatOption(status, &options->format);
  return status;
}

namespace {

// Time until the batch is done by the cost model (learned from every done job in the store); null
// when it is not running or cannot be told.
nlohmann::json Eta(ResultStore& store, const BatchSummary& b, const CostModel& model) {
  if (b.status != "running") return nullptr;
  const auto seconds = BatchEtaSeconds(store, b.id, model);
  if (!seconds) return nullptr;
  return FormatClock(*seconds);
}

}  // namespace

int RunStatusCommand(const StatusOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const CostModel model = CostModelFromStore(store);
  Table table;
  if (options.batch.empty()) {
    table.columns = {"batch",   "name",    "status",  "jobs",    "done", "reused", "failed",
                     "pending", "running", "created", "elapsed", "eta",  "tags",   "description"};
    for (const BatchSummary& b : store.ListBatches()) {
      table.rows.push_back({b.id, b.name, b.status, b.total, b.done, b.reused, b.failed, b.pending,
                            b.running, b.created_at, FormatClock(b.elapsed_s), Eta(store, b, model),
                            JoinNames(b.tags), b.description});
    }
    PrintTable(table, options.format);
    return kExitOk;
  }
  auto batch_id = ResolveBatch(store, options.batch, options.db);
  if (!batch_id) return kExitBadInput;
  const BatchSummary b = *store.FindBatch(*batch_id);
  const nlohmann::json eta = Eta(store, b, model);
  if (options.format == "table") {
    const std::string reused = b.reused > 0 ? " (" + std::to_string(b.reused) + " reused)" : "";
    std::printf(
        "batch %lld '%s': %s, %lld/%lld done%s, %lld failed, %lld pending, %lld running; "
        "elapsed %s%s\n\n",
        static_cast<long long>(b.id), EscapeControlCharacters(b.name).c_str(), b.status.c_str(),
        static_cast<long long>(b.done), static_cast<long long>(b.total), reused.c_str(),
        static_cast<long long>(b.failed), static_cast<long long>(b.pending),
        static_cast<long long>(b.running), FormatClock(b.elapsed_s).c_str(),
        eta.is_null() ? "" : (", ETA " + eta.get<std::string>()).c_str());
    if (!b.tags.empty()) {
      std::printf("tags: %s\n", EscapeControlCharacters(JoinNames(b.tags)).c_str());
    }
    if (!b.overrides.empty()) {
      std::string given;
      for (const auto& text : b.overrides) given += " " + text;
      std::printf("overrides:%s\n", EscapeControlCharacters(given).c_str());
    }
    if (!b.description.empty()) {
      std::printf("%s\n", EscapeControlCharacters(b.description, /*keep_newlines=*/true).c_str());
    }
    if (!b.tags.empty() || !b.description.empty() || !b.overrides.empty()) std::printf("\n");
  }
  table.columns = {"experiment", "jobs", "done", "failed", "pending", "running"};
  for (const auto& c : store.CountsByExperiment(*batch_id)) {
    table.rows.push_back({c.experiment, c.total, c.done, c.failed, c.pending, c.running});
  }
  // The running jobs with how far each has got; the key columns tell the batch's jobs apart.
  const Table running =
      RunningJobsTable(b.running > 0 ? store.JobsWithMetrics(*batch_id) : std::vector<JobRecord>{});
  const OutputFormat format = ParseOutputFormat(options.format);
  if (format == OutputFormat::kJson) {
    // One JSON document: the two tables (arrays of rows, as every --format json prints them) and
    // the ETA, under names.
    auto array = [](const Table& t) {
      std::string text = RenderTable(t, OutputFormat::kJson);
      return text.substr(0, text.find_last_not_of('\n') + 1);
    };
    std::printf("{\"eta\": %s,\n\"experiments\": %s,\n\"running\": %s}\n", eta.dump().c_str(),
                array(table).c_str(), array(running).c_str());
    return kExitOk;
  }
  PrintTable(table, options.format);
  if (!running.rows.empty()) {
    // Another table after a blank line (csv, markdown); titled in a terminal.
    std::printf("\n%s", format == OutputFormat::kTable ? "running:\n" : "");
    PrintTable(running, options.format);
  }
  return kExitOk;
}

}  // namespace attnsweep
