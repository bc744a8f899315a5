// What identifies the data a job reads, for its job key: the generator's version and parameters for
// synthetic data, a content hash of the files for real data, nothing for tasks that read no data.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace attnsweep {

// Bumped whenever the synthetic generator's output changes for the same parameters.
constexpr int kSyntheticGeneratorVersion = 1;

// Sets `fingerprint` ("" when the job's task reads no data). Returns false with `error` set when
// the data cannot be read (a csv folder without its files, say).
bool DataFingerprint(const nlohmann::json& config, std::string* fingerprint, std::string* error);

// SHA-256 of the data files a csv source reads, in a fixed order; cached per folder for the
// process.
bool HashCsvFolder(const std::string& folder, std::string* digest, std::string* error);

}  // namespace attnsweep
