// Where job logs and checkpoints are kept beside a store: <db>.logs/<batch>/<job>.log and
// <db>.checkpoints/<key>.pt. Whoever writes, reads or deletes them goes through these functions.
#pragma once

#include <cstdint>
#include <string>

namespace attnsweep {

inline std::string JobLogRoot(const std::string& db_path) { return db_path + ".logs"; }

inline std::string JobLogPath(const std::string& log_root, int64_t batch_id, int64_t job_id) {
  return log_root + "/" + std::to_string(batch_id) + "/" + std::to_string(job_id) + ".log";
}

// Train jobs keep their checkpoint at <db>.checkpoints/<job key>.pt: by key, so that the same job
// in a later batch continues from it.
inline std::string CheckpointRoot(const std::string& db_path) { return db_path + ".checkpoints"; }

inline std::string CheckpointPath(const std::string& checkpoint_root, const std::string& job_key) {
  return checkpoint_root + "/" + job_key + ".pt";
}

}  // namespace attnsweep
