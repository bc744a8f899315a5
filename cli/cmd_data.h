// `attnsweep data generate|prepare|stats`: write a synthetic set, prepare (parse and cache) a data
// folder, and describe one.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct DataOptions {
  // generate
  std::string out;
  int64_t customers = 8000;
  uint64_t seed = 1;
  double signal = 1.0;
  double reach = 0.5;
  std::string sequence = "none";
  std::string signal_kind = "mix";
  int64_t window = 512;
  // prepare, stats
  std::string path;
  bool skip_bad_rows = false;
  double test_fraction = 0.1;
  double validation_fraction = 0.1;
  std::string format = "table";
};

struct DataCommands {
  CLI::App* generate = nullptr;
  CLI::App* prepare = nullptr;
  CLI::App* stats = nullptr;
};

DataCommands SetupDataCommand(CLI::App& app, DataOptions* options);
int RunDataCommand(const DataCommands& commands, const DataOptions& options);

}  // namespace attnsweep
