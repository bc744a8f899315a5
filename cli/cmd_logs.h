// `attnsweep logs JOB`: a job's own output, every attempt, as kept beside the store.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace attnsweep {

struct LogsOptions {
  int64_t job_id = 0;
  std::string db = "attnsweep.db";
};

CLI::App* SetupLogsCommand(CLI::App& app, LogsOptions* options);
int RunLogsCommand(const LogsOptions& options);

}  // namespace attnsweep
