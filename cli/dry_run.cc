#include "cli/dry_run.h"

#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "cli/common.h"
#include "cli/job_table.h"
#include "experiments/base/units.h"
#include "store/result_store.h"
#include "workers/sweep_estimate.h"

namespace attnsweep {
namespace {

std::string BatchList(const std::set<int64_t>& batches) {
  std::string text = batches.size() == 1 ? "batch " : "batches ";
  size_t shown = 0;
  for (const int64_t id : batches) {
    if (shown == 5) return text + ", ...";
    text += (shown++ ? ", " : "") + std::to_string(id);
  }
  return text;
}

std::string Plural(int64_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

// What the estimates rest on: "38 from this store's history of 120 done jobs, 8 analytic".
std::string Bases(const SweepCostEstimate& estimate) {
  int64_t analytic = 0;
  for (const auto& job : estimate.jobs) analytic += job.basis == "analytic";
  const int64_t learned = static_cast<int64_t>(estimate.jobs.size()) - analytic;
  if (learned == 0) {
    return "each from its task's analytic model" +
           std::string(estimate.history == 0 ? " (no done job in the store to learn from)" : "");
  }
  return std::to_string(learned) + " learned from the store's " +
         Plural(static_cast<int64_t>(estimate.history), "done job") + ", " +
         std::to_string(analytic) + " from the tasks' analytic models";
}

}  // namespace

void PrintDryRun(const Grid& grid, const std::string& db_path, bool reuse, int workers,
                 const std::string& format) {
  std::optional<ResultStore> store;
  if (std::filesystem::exists(db_path)) store.emplace(ResultStore::OpenReadOnly(db_path));
  const SweepCostEstimate estimate = EstimateSweepCost(grid.jobs, store ? &*store : nullptr);

  Table table = VaryingKeysTable(grid.jobs);
  table.columns.push_back("est_s");
  table.columns.push_back("basis");
  if (reuse) table.columns.push_back("reuse");
  for (size_t j = 0; j < grid.jobs.size(); ++j) {
    const JobCostEstimate& job = estimate.jobs[j];
    auto& row = table.rows[j];
    row.push_back(job.seconds);
    row.push_back(job.basis);
    if (reuse) {
      row.push_back(job.done_in_batch ? nlohmann::json("batch " + std::to_string(job.done_in_batch))
                                      : nlohmann::json());
    }
  }
  PrintTable(table, format);

  const int64_t total = static_cast<int64_t>(grid.jobs.size());
  spdlog::info("grid '{}': {}; --dry-run: nothing run or stored", grid.name,
               JobCountsByExperiment(grid.jobs));
  if (estimate.already_done > 0) {
    if (reuse) {
      spdlog::info("--reuse: {} of {} would take a done result already in {} ({}); {} to run",
                   estimate.already_done, total, db_path, BatchList(estimate.done_batches),
                   total - estimate.already_done);
    } else {
      spdlog::info(
          "{} of {} already have a done result in {} ({}): this run would run them again; "
          "--reuse would take those results instead",
          estimate.already_done, total, db_path, BatchList(estimate.done_batches));
    }
  }
  const double work = SweepWorkSeconds(estimate, reuse);
  std::string on = "about " +
                   FormatClock(SweepMakespanSeconds(grid.jobs, estimate, reuse, workers)) + " on " +
                   Plural(workers, "worker rank");
  if (workers == 1) {
    // Run alone, a dry run cannot tell the ranks a real run will get: say what more would give.
    for (const int more : {4, 8}) {
      on += "; " + FormatClock(SweepMakespanSeconds(grid.jobs, estimate, reuse, more)) + " on " +
            std::to_string(more) + " (mpirun -np " + std::to_string(more + 1) + ")";
    }
  }
  spdlog::info("estimated cost: {} of work ({}); {}, one node", FormatClock(work), Bases(estimate),
               on);
}

}  // namespace attnsweep
