// The dataset a job's `data` section names, prepared once and cached on disk: synthetic sets are
// generated into the cache, CSV folders (real or synthetic) parsed into the binary form, keyed by
// the files' content and the preprocessing settings. Processes asking for the same data at once
// elect one builder through a file lock; the others wait, then read what it wrote. Files are
// written under a temporary name and renamed, so no one ever reads half of one.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "experiments/data/dataset.h"
#include "experiments/data/synthetic.h"

namespace attnsweep {

// The folder of a synthetic set, generating it first when the cache lacks it.
std::string SyntheticFolder(const SyntheticOptions& options);

struct PreparedData {
  std::shared_ptr<const TransactionDataset> dataset;
  std::string folder;      // the CSV folder it came from
  std::string cache_file;  // the prepared binary
  bool built = false;      // this call parsed the CSV (false: loaded what was cached)
  double seconds = 0;      // time spent in this call
  ReadReport report;       // of the parse, when built
};

// `data` is a job config's data section (data.source, .path, .customers, .seed, .signal, .reach,
// .test_fraction, .validation_fraction, .skip_bad_rows). Throws DataError for bad input.
PreparedData PrepareData(const nlohmann::json& data);

}  // namespace attnsweep
