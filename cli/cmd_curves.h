// `attnsweep curves JOB...`: a train job's per-epoch series (training loss, validation AUC), one
// row per epoch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct CurvesOptions {
  std::vector<int64_t> jobs;
  std::string db = "attnsweep.db";
  std::string format = "table";
};

CLI::App* SetupCurvesCommand(CLI::App& app, CurvesOptions* options);
int RunCurvesCommand(const CurvesOptions& options);

}  // namespace attnsweep
