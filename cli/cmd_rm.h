// `attnsweep rm BATCH...`: deletes batches with everything they stored: jobs, attempts, metrics,
// curves, job logs, and checkpoints no other batch shares.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct RmOptions {
  std::vector<std::string> batches;
  std::string db = "attnsweep.db";
};

CLI::App* SetupRmCommand(CLI::App& app, RmOptions* options);
int RunRmCommand(const RmOptions& options);

}  // namespace attnsweep
