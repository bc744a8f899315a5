#include "experiments/data_fingerprint.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "experiments/sha256.h"

namespace attnsweep {
namespace fs = std::filesystem;

bool HashCsvFolder(const std::string& folder, std::string* digest, std::string* error) {
  static std::mutex mutex;
  static std::map<std::string, std::string> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(folder); it != cache.end()) {
    *digest = it->second;
    return true;
  }
  // The transactions may be gzipped; the optional dictionaries do not change what a model sees.
  const char* transaction_names[] = {"transactions.csv", "transactions.csv.gz"};
  std::string transactions;
  for (const char* name : transaction_names) {
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
    fs::path path = fs::path(folder) / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      *error = "cannot read '" + path.string() + "'";
      return false;
    }
    hasher.Update(name + "\n");
    std::string chunk(1 << 20, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      hasher.Update(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
    }
  }
  *digest = hasher.HexDigest();
  cache[folder] = *digest;
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
