#include "cli/cmd_curves.h"

#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "store/result_store.h"

namespace attnsweep {

CLI::App* SetupCurvesCommand(CLI::App& app, CurvesOptions* options) {
  CLI::App* command = app.add_subcommand(
      "curves", "A job's per-epoch series (train_loss, val_auc), one row per epoch");
  command->add_option("job", options->jobs, "job ids (as in `attnsweep jobs`)")->required();
  AddDbOption(command, &options->db);
  AddFormatOption(command, &options->format);
  return command;
}

int RunCurvesCommand(const CurvesOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  for (int64_t job : options.jobs) {
    if (!store.FindJob(job)) {
      PrintError("no job " + std::to_string(job) + " in '" + options.db +
                 "': `attnsweep jobs` lists them");
      return kExitBadInput;
    }
  }
  const auto curves = store.Curves(options.jobs);
  std::set<std::string> names;
  std::map<std::pair<int64_t, int64_t>, std::map<std::string, double>> rows;  // (job, step)
  for (const auto& [job, points] : curves) {
    for (const CurvePoint& p : points) {
      names.insert(p.name);
      rows[{job, p.step}][p.name] = p.value;
    }
  }
  if (rows.empty()) {
    PrintNote("no curves: only train jobs record them, once an epoch has finished");
  }
  Table table;
  table.columns = {"job_id", "epoch"};
  table.columns.insert(table.columns.end(), names.begin(), names.end());
  for (const auto& [place, values] : rows) {
    std::vector<nlohmann::json> row = {place.first, place.second};
    for (const auto& name : names) {
      auto found = values.find(name);
      row.push_back(found == values.end() ? nlohmann::json() : nlohmann::json(found->second));
    }
    table.rows.push_back(std::move(row));
  }
  PrintTable(table, options.format);
  return kExitOk;
}

}  // namespace attnsweep
