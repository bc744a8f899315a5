#include "cli/cmd_export.h"

#include <cstdio>
#include <filesystem>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "cli/job_rows.h"
#include "cli/output_file.h"
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

// The format to write: --format, else -o's extension (none: stdout's csv); nullopt, with the
// reason printed, for an extension export does not write.
std::optional<std::string> FormatFor(const ExportOptions& options) {
  if (!options.format.empty()) return options.format;
  if (options.output.empty()) return "csv";
  const std::string extension = std::filesystem::path(options.output).extension().string();
  if (extension == ".csv") return "csv";
  if (extension == ".json") return "json";
  if (extension == ".md") return "markdown";
  PrintError("export writes csv, json or markdown: name -o's file .csv, .json or .md (got '" +
             options.output + "'), or say which with --format");
  return std::nullopt;
}

}  // namespace

int RunExportCommand(const ExportOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  if (!options.output.empty() && !OutputMayBeWritten(options.output, options.db, store)) {
    return kExitBadInput;
  }
  const auto format = FormatFor(options);
  if (!format) return kExitBadInput;
  const auto batch_ids = SelectBatches(store, options.batches, options.all, options.db);
  if (!batch_ids) return kExitBadInput;
  const std::vector<JobRecord> jobs = store.JobsWithMetrics(*batch_ids);
  const std::string text = RenderTable(ExportTable(jobs), ParseOutputFormat(*format));
  if (options.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  }
  if (!WriteOutputFile(options.output, text)) return kExitBadInput;
  std::fprintf(stderr, "wrote %zu jobs to %s\n", jobs.size(), options.output.c_str());
  return kExitOk;
}

}  // namespace attnsweep
