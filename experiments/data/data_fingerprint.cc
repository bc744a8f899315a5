#include "experiments/data/data_fingerprint.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "experiments/base/sha256.h"

namespace attnsweep {
namespace fs = std::filesystem;

std::string CacheRoot() {
  if (const char* root = std::getenv("ATTNSWEEP_CACHE"); root && *root) return root;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return (fs::path(xdg) / "attnsweep").string();
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return (fs::path(home) / ".cache" / "attnsweep").string();
  }
  // HOME unset (cron, a service, a stripped environment): the account's home, never a shared
  // temporary folder, where another user could plant the data this cache is trusted to hold.
  if (const passwd* account = getpwuid(getuid()); account && account->pw_dir && *account->pw_dir) {
    return (fs::path(account->pw_dir) / ".cache" / "attnsweep").string();
  }
  throw std::runtime_error(
      "no folder for attnsweep's data cache: HOME is not set and this account has no home; set "
      "ATTNSWEEP_CACHE to a folder of your own");
}

namespace {

// The file's SHA-256, from the memo when its identity and stamp are unchanged.
bool FileDigest(const fs::path& path, std::string* digest, std::string* error) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    *error = "cannot read '" + path.string() + "': " + std::strerror(errno);
    return false;
  }
  const std::string stamp = std::to_string(info.st_size) + " " +
                            std::to_string(info.st_mtim.tv_sec) + "." +
                            std::to_string(info.st_mtim.tv_nsec) + " " +
                            std::to_string(info.st_ino) + " " + std::to_string(info.st_dev);
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  Sha256 name_hash;
  name_hash.Update(absolute.string());
  const fs::path memo =
      fs::path(CacheRoot()) / "fingerprints" / name_hash.HexDigest().substr(0, 32);
  {
    std::ifstream in(memo);
    std::string line;
    if (std::getline(in, line) && line.size() > 65 && line.compare(0, stamp.size(), stamp) == 0 &&
        line[stamp.size()] == ' ') {
      *digest = line.substr(stamp.size() + 1);
      return true;
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read '" + path.string() + "'";
    return false;
  }
  Sha256 hasher;
  std::string chunk(1 << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hasher.Update(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
  }
  *digest = hasher.HexDigest();
  // Remembering is an optimisation: a cache that cannot be written costs time, not correctness.
  fs::create_directories(memo.parent_path(), ec);
  const fs::path tmp = memo.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp);
    out << stamp << " " << *digest << "\n";
  }
  fs::rename(tmp, memo, ec);
  return true;
}

}  // namespace

bool HashCsvFolder(const std::string& folder, std::string* digest, std::string* error) {
  // The transactions may be gzipped; the optional dictionaries do not change what a model sees.
  std::string transactions;
  for (const char* name : {"transactions.csv", "transactions.csv.gz"}) {
    if (fs::exists(fs::path(folder) / name)) {
      transactions = name;
      break;
    }
  }
  if (transactions.empty()) {
    *error = "no transactions.csv or transactions.csv.gz in '" + folder + "'";
    return false;
  }
  Sha256 hasher;
  for (const std::string& name : {transactions, std::string("gender_train.csv")}) {
    std::string file_digest;
    if (!FileDigest(fs::path(folder) / name, &file_digest, error)) return false;
    hasher.Update(name + " " + file_digest + "\n");
  }
  *digest = hasher.HexDigest();
  return true;
}

bool DataFingerprint(const nlohmann::json& config, std::string* fingerprint, std::string* error) {
  fingerprint->clear();
  auto data = config.find("data");
  if (data == config.end() || !data->contains("source")) return true;  // the task reads no data
  const std::string source = data->at("source").get<std::string>();
  if (source == "synthetic") {
    // The generator's parameters are already in the config; its version is what the text lacks.
    *fingerprint = "synthetic-v" + std::to_string(kSyntheticGeneratorVersion);
    return true;
  }
  std::string digest;
  if (!HashCsvFolder(data->value("path", ""), &digest, error)) return false;
  *fingerprint = "csv-sha256:" + digest;
  return true;
}

}  // namespace attnsweep
