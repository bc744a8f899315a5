#include "cli/cmd_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "experiments/data/data_error.h"
#include "experiments/data/prepared_data.h"
#include "experiments/data/synthetic.h"

namespace attnsweep {
namespace {

void AddPreparationOptions(CLI::App* command, DataOptions* options) {
  command
      ->add_option("--path", options->path, "folder with transactions.csv[.gz], gender_train.csv")
      ->required();
  command->add_option("--seed", options->seed, "seed of the train/validation/test split");
  command->add_option("--test-fraction", options->test_fraction, "share of customers for testing");
  command->add_option("--validation-fraction", options->validation_fraction,
                      "share of customers for validation");
  command->add_flag("--skip-bad-rows", options->skip_bad_rows,
                    "skip and count malformed rows instead of stopping at the first");
}

nlohmann::json CsvDataSection(const DataOptions& options) {
  return {{"source", "csv"},
          {"path", options.path},
          {"seed", options.seed},
          {"test_fraction", options.test_fraction},
          {"validation_fraction", options.validation_fraction},
          {"skip_bad_rows", options.skip_bad_rows}};
}

std::string Fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

int Generate(const DataOptions& options) {
  SyntheticOptions synthetic;
  synthetic.customers = options.customers;
  synthetic.seed = options.seed;
  synthetic.signal = options.signal;
  synthetic.reach = options.reach;
  synthetic.sequence = options.sequence;
  synthetic.signal_kind = options.signal_kind;
  if (options.signal_kind != "mix") synthetic.window = options.window;
  const auto start = std::chrono::steady_clock::now();
  const SyntheticSummary summary = GenerateSynthetic(synthetic, options.out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "wrote %lld customers (%lld labelled), %lld transactions, %.1f MB into %s in %.1f s\n",
      static_cast<long long>(summary.customers), static_cast<long long>(summary.labelled),
      static_cast<long long>(summary.rows), summary.bytes / 1e6, options.out.c_str(), seconds);
  return kExitOk;
}

int Prepare(const DataOptions& options) {
  const PreparedData prepared = PrepareData(CsvDataSection(options));
  const auto& d = *prepared.dataset;
  Table table;
  table.columns = {"what", "value"};
  table.rows = {
      {"action", prepared.built ? "parsed the CSV files" : "loaded the cached preparation"},
      {"seconds", Fixed(prepared.seconds, 3)},
      {"cache_file", prepared.cache_file},
      {"labelled_customers", std::to_string(d.customers())},
      {"events", std::to_string(d.events())},
      {"rows_read", std::to_string(d.rows_read)},
      {"rows_skipped", std::to_string(d.rows_skipped)},
      {"labels_skipped", std::to_string(d.labels_skipped)},
  };
  if (prepared.built) {
    table.rows.push_back(
        {"parse_mb_per_s", Fixed(prepared.report.bytes / 1e6 / prepared.seconds, 1)});
    table.rows.push_back({"rows_per_s", Fixed(prepared.report.rows / prepared.seconds, 0)});
  }
  for (const auto& problem : prepared.report.first_problems)
    table.rows.push_back({"skipped", problem});
  PrintTable(table, options.format);
  return kExitOk;
}

int Stats(const DataOptions& options) {
  const PreparedData prepared = PrepareData(CsvDataSection(options));
  const auto& d = *prepared.dataset;
  std::vector<int64_t> lengths;
  int64_t ones = 0;
  for (int64_t c = 0; c < d.customers(); ++c) {
    lengths.push_back(d.length(c));
    ones += d.labels[c];
  }
  std::sort(lengths.begin(), lengths.end());
  auto quantile = [&](double q) {
    return lengths.empty() ? 0 : lengths[static_cast<size_t>(q * (lengths.size() - 1))];
  };
  std::map<int32_t, int64_t> mcc_counts;
  int64_t negative = 0;
  for (int64_t e = 0; e < d.events(); ++e) {
    ++mcc_counts[d.mcc[e]];
    negative += d.amount[e] < 0;
  }
  Table table;
  table.columns = {"what", "value"};
  const double events = static_cast<double>(std::max<int64_t>(1, d.events()));
  table.rows = {
      {"labelled_customers", std::to_string(d.customers())},
      {"unlabelled_customers", std::to_string(d.unlabelled_customers)},
      {"events", std::to_string(d.events())},
      {"label_1_share", Fixed(ones / std::max(1.0, double(d.customers())), 3)},
      {"length_min", std::to_string(quantile(0))},
      {"length_median", std::to_string(quantile(0.5))},
      {"length_p99", std::to_string(quantile(0.99))},
      {"length_max", std::to_string(quantile(1))},
      {"negative_amount_share", Fixed(negative / events, 3)},
      {"mcc_codes", std::to_string(d.mcc_codes.size())},
      {"tr_types", std::to_string(d.type_codes.size())},
  };
  for (size_t rank = 0; rank < std::min<size_t>(7, d.mcc_codes.size()); ++rank) {
    table.rows.push_back({"mcc_top" + std::to_string(rank + 1),
                          std::to_string(d.mcc_codes[rank]) + " " +
                              Fixed(mcc_counts[static_cast<int32_t>(rank) + 2] / events, 3)});
  }
  PrintTable(table, options.format);
  return kExitOk;
}

}  // namespace

DataCommands SetupDataCommand(CLI::App& app, DataOptions* options) {
  CLI::App* data = app.add_subcommand("data", "Generate, prepare and describe transaction data");
  data->require_subcommand(1);
  DataCommands commands;
  commands.generate = data->add_subcommand(
      "generate", "Write a synthetic set in the real files' format, with a planted gender signal");
  commands.generate->add_option("--out", options->out, "folder to write the four files into")
      ->required();
  commands.generate->add_option("--customers", options->customers, "customers to generate")
      ->check(CLI::Range(int64_t{10}, int64_t{10000000}));
  commands.generate->add_option("--seed", options->seed,
                                "seed: the same seed writes the same bytes");
  commands.generate
      ->add_option("--signal", options->signal, "strength of the planted gender signal (0: none)")
      ->check(CLI::Range(0.0, 100.0));
  commands.generate
      ->add_option("--reach", options->reach,
                   "share of the signal that only long spans show (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  commands.generate
      ->add_option("--sequence", options->sequence,
                   "order of events: none (independent) or markov_v1 (a chain of categories and "
                   "gaps, for next-event prediction)")
      ->check(CLI::IsMember(SyntheticSequences()));
  commands.generate
      ->add_option("--signal-kind", options->signal_kind,
                   "what carries the label: mix (category shares), order, recall, rhythm or "
                   "count (planted in the last --window events, each customer's posterior "
                   "written to oracle_posterior.csv; docs/data.md)")
      ->check(CLI::IsMember(SignalKinds()));
  commands.generate
      ->add_option("--window", options->window,
                   "the events a model will see (data.max_len), where a planted family puts "
                   "its evidence")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  commands.prepare = data->add_subcommand(
      "prepare", "Parse a data folder into the prepared-data cache (or load it from there)");
  AddPreparationOptions(commands.prepare, options);
  AddFormatOption(commands.prepare, &options->format);
  commands.stats =
      data->add_subcommand("stats", "Describe a data folder: sizes, lengths, marginals");
  AddPreparationOptions(commands.stats, options);
  AddFormatOption(commands.stats, &options->format);
  return commands;
}

int RunDataCommand(const DataCommands& commands, const DataOptions& options) {
  try {
    if (*commands.generate) return Generate(options);
    if (*commands.prepare) return Prepare(options);
    if (*commands.stats) return Stats(options);
  } catch (const DataError& e) {
    PrintError(e.what());
    return kExitBadInput;
  }
  return kExitBadInput;
}

}  // namespace attnsweep
