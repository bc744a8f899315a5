#include "cli/cmd_query.h"

#include <regex>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "experiments/base/units.h"
#include "store/readonly_query.h"
#include "store/result_store.h"
#include "store/wide_view.h"

namespace attnsweep {

CLI::App* SetupQueryCommand(CLI::App& app, QueryOptions* options) {
  CLI::App* query = app.add_subcommand(
      "query",
      "Run one read-only SQL statement on the store (tables: batches, jobs, attempts, "
      "metrics, curves; views: wide (one column per config key and metric, as export names "
      "them), results, metric_values)");
  query
      ->add_option("sql", options->sql,
                   "the statement, e.g. 'SELECT \"model.attention\", AVG(test_auc) FROM wide "
                   "WHERE batch_id = 3 GROUP BY 1' (dotted names in double quotes)")
      ->required();
  AddDbOption(query, &options->db);
  AddFormatOption(query, &options->format);
  QueryLimits* limits = &options->limits;
  query->add_option_function<std::string>(
      "--time-limit",
      [limits](const std::string& text) {
        const auto seconds = ParseDurationSeconds(text);
        if (!seconds || *seconds <= 0) {
          throw CLI::ValidationError("--time-limit", "'" + text +
                                                         "' is not a positive duration such as "
                                                         "30s, 10m or 2h");
        }
        limits->seconds = *seconds;
      },
      "stop the statement past this (30s, 10m, 2h; default 60s)");
  query
      ->add_option_function<int64_t>(
          "--max-result-mb",
          [limits](int64_t megabytes) { limits->result_bytes = megabytes << 20; },
          "stop the statement when its result passes this many MB (default 256)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  return query;
}

int RunQueryCommand(const QueryOptions& options) {
  ResultStore store = ResultStore::OpenReadOnly(options.db);
  // The view costs a pass over the store's configs and figure names (0.5 s for 46,000 jobs and
  // a million figures): made only for a statement that names it.
  static const std::regex kNamesWide(R"(\bwide\b)", std::regex::icase);
  if (std::regex_search(options.sql, kNamesWide)) CreateWideView(store.db());
  const QueryResult result = RunReadOnlyQuery(store.db(), options.sql, options.limits);
  Table table;
  table.columns = result.columns;
  for (const auto& row : result.rows) {
    std::vector<nlohmann::json> cells;
    for (const Cell& cell : row) {
      if (auto* i = std::get_if<int64_t>(&cell)) {
        cells.emplace_back(*i);
      } else if (auto* d = std::get_if<double>(&cell)) {
        cells.emplace_back(*d);
      } else if (auto* s = std::get_if<std::string>(&cell)) {
        cells.emplace_back(*s);
      } else {
        cells.emplace_back(nullptr);
      }
    }
    table.rows.push_back(std::move(cells));
  }
  PrintTable(table, options.format);
  return kExitOk;
}

}  // namespace attnsweep
