#include "experiments/data/prepared_data.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "experiments/base/sha256.h"
#include "experiments/base/unique_fd.h"
#include "experiments/data/data_error.h"
#include "experiments/data/data_fingerprint.h"

namespace attnsweep {
namespace fs = std::filesystem;
namespace {

// Bumped when a synthetic set or a prepared file would come out differently for the same key.
constexpr int kPreparedVersion = 1;

// An exclusive lock on `path` (created if need be) for as long as it lives.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (!fd_)
      throw DataError(path, 0, 0, std::string("cannot create lock file: ") + std::strerror(errno));
    while (flock(fd_.get(), LOCK_EX) != 0) {
      if (errno != EINTR)
        throw DataError(path, 0, 0, std::string("cannot lock: ") + std::strerror(errno));
    }
  }
  // Closing the descriptor (UniqueFd's destructor) releases the lock, also when flock failed.
 private:
  UniqueFd fd_;
};

std::string Digest(const std::string& text) {
  Sha256 hasher;
  hasher.Update(text);
  return hasher.HexDigest().substr(0, 24);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string SyntheticFolder(const SyntheticOptions& options) {
  nlohmann::json identity = {{"version", kPreparedVersion},
                             {"generator", kSyntheticGeneratorVersion},
                             {"customers", options.customers},
                             {"seed", options.seed},
                             {"signal", options.signal},
                             {"reach", options.reach},
                             {"labelled", options.labelled_fraction}};
  // Sets of independent events keep the folders they were cached in before chains existed.
  if (options.sequence != "none") identity["sequence"] = options.sequence;
  // And sets of the mix the folders they had before the other families.
  if (options.signal_kind != "mix") {
    identity["signal_kind"] = options.signal_kind;
    identity["window"] = options.window;
  }
  const std::string key = Digest(identity.dump());
  const fs::path folder = fs::path(CacheRoot()) / "synthetic" / key;
  const fs::path done = folder / ".complete";
  if (fs::exists(done)) return folder.string();
  fs::create_directories(folder);
  FileLock lock((folder.parent_path() / (key + ".lock")).string());
  if (!fs::exists(done)) {
    GenerateSynthetic(options, folder.string());
    FILE* marker = fopen(done.c_str(), "w");
    if (marker) fclose(marker);
  }
  return folder.string();
}

PreparedData PrepareData(const nlohmann::json& data) {
  const auto start = std::chrono::steady_clock::now();
  PreparedData prepared;
  const std::string source = data.at("source").get<std::string>();
  if (source == "synthetic") {
    SyntheticOptions synthetic;
    synthetic.customers = data.at("customers").get<int64_t>();
    synthetic.seed = data.at("seed").get<uint64_t>();
    synthetic.signal = data.at("signal").get<double>();
    synthetic.reach = data.at("reach").get<double>();
    synthetic.sequence = data.value("sequence", "none");
    synthetic.signal_kind = data.value("signal_kind", "mix");
    // A planted family is planted in the window the job reads.
    if (synthetic.signal_kind != "mix") synthetic.window = data.at("max_len").get<int64_t>();
    prepared.folder = SyntheticFolder(synthetic);
  } else {
    prepared.folder = data.at("path").get<std::string>();
    if (!fs::is_directory(prepared.folder)) {
      throw DataError(prepared.folder, 0, 0, "data.path is not a folder");
    }
  }
  DatasetOptions options;
  options.seed = data.at("seed").get<uint64_t>();
  options.test_fraction = data.at("test_fraction").get<double>();
  options.validation_fraction = data.at("validation_fraction").get<double>();
  options.skip_bad_rows = data.at("skip_bad_rows").get<bool>();

  std::string content, error;
  if (!HashCsvFolder(prepared.folder, &content, &error))
    throw DataError(prepared.folder, 0, 0, error);
  const std::string key = Digest(nlohmann::json({{"version", kPreparedVersion},
                                                 {"content", content},
                                                 {"seed", options.seed},
                                                 {"test", options.test_fraction},
                                                 {"validation", options.validation_fraction},
                                                 {"skip_bad_rows", options.skip_bad_rows}})
                                     .dump());
  const fs::path dir = fs::path(CacheRoot()) / "prepared";
  fs::create_directories(dir);
  prepared.cache_file = (dir / (key + ".bin")).string();
  auto load = [&] {
    prepared.dataset = std::make_shared<const TransactionDataset>(LoadDataset(prepared.cache_file));
  };
  if (fs::exists(prepared.cache_file)) {
    load();
  } else {
    FileLock lock((dir / (key + ".lock")).string());
    if (fs::exists(prepared.cache_file)) {  // another process built it while this one waited
      load();
    } else {
      auto dataset = std::make_shared<TransactionDataset>(
          ReadCsvDataset(prepared.folder, options, &prepared.report));
      const std::string tmp = prepared.cache_file + ".tmp" + std::to_string(getpid());
      SaveDataset(*dataset, tmp);
      fs::rename(tmp, prepared.cache_file);
      prepared.dataset = std::move(dataset);
      prepared.built = true;
    }
  }
  prepared.seconds = SecondsSince(start);
  return prepared;
}

}  // namespace attnsweep
