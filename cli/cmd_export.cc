#include "cli/cmd_export.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/job_rows.h"
#include "experiments/base/exit_codes.h"
#include "store/result_store.h"

namespace attnsweep {

CLI::App* SetupExportCommand(CLI::App& app, ExportOptions* options) {
  CLI::App* command = app.add_subcommand(
      "export", "Every job as one row: its config keys and its metrics, each in its own column");
  AddBatchSelection(command, &options->batches, &options->all);
  AddDbOption(command, &options->db);
  command->add_option("-o,--output", options->output,
                      "the file to write (.csv, .json or .md; default: stdout)");
  command
      ->add_option("--format", options->format,
                   "csv, json, markdown or table (default: from -o's extension, else csv)")
      ->check(CLI::IsMember(OutputFormatNames()));
  return command;
}

namespace {

std::string FormatFor(const ExportOptions& options) {
  if (!options.format.empty()) return options.format;
  const auto dot = options.output.rfind('.');
  const std::string extension = dot == std::string::npos ? "" : options.output.substr(dot + 1);
  if (extension == "json") return "json";
  if (extension == "md") return "markdown";
  return "csv";
}

}  // namespace

int RunExportCommand(const ExportOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  const auto batch_ids = SelectBatches(store, options.batches, options.all, options.db);
  if (!batch_ids) return kExitBadInput;
  const std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_ids);
  const std::string text = RenderTable(ExportTable(jobs), ParseOutputFormat(FormatFor(options)));
  if (options.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  if (!WriteOutputFile(options.output, text)) return kExitBadInput;
  std::fprintf(stderr, "wrote %zu jobs to %s\n", jobs.size(), options.output.c_str());
  return kExitOk;
}

}  // namespace attnsweep
