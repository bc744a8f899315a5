// Where job logs are kept beside a store: <db>.logs/<batch>/<job>.log. The coordinator writes them,
// `attnsweep logs` reads them; both go through these two functions.
#pragma once

#include <cstdint>
#include <string>

namespace attnsweep {

inline std::string JobLogRoot(const std::string& db_path) { return db_path + ".logs"; }

inline std::string JobLogPath(const std::string& log_root, int64_t batch_id, int64_t job_id) {
  return log_root + "/" + std::to_string(batch_id) + "/" + std::to_string(job_id) + ".log";
}

}  // namespace attnsweep
