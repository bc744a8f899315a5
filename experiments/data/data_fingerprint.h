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

// SHA-256 over the data files a csv source reads, in a fixed order. Each file's own digest is
// remembered under CacheRoot()/fingerprints by its path, size, modification time and inode, so a
// file is read through only when it changed.
bool HashCsvFolder(const std::string& folder, std::string* digest, std::string* error);

// Where attnsweep keeps what it can rebuild (file digests, synthetic sets, prepared data):
// $ATTNSWEEP_CACHE, else $XDG_CACHE_HOME/attnsweep, else $HOME/.cache/attnsweep, else (HOME
// unset) the account's home's .cache/attnsweep; never a shared folder.
std::string CacheRoot();

}  // namespace attnsweep
