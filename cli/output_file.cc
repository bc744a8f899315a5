#include "cli/output_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/common.h"
#include "store/result_store.h"

namespace attnsweep {
namespace fs = std::filesystem;

namespace {

// Whether a and b name one file: the same inode where both exist, else the same absolute path.
bool SameFile(const fs::path& a, const fs::path& b) {
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error)) return fs::equivalent(a, b, error);
  return fs::weakly_canonical(a, error) == fs::weakly_canonical(b, error);
}

}  // namespace

std::string OutputProblem(const std::string& output, const std::string& db,
                          const std::vector<std::string>& inputs) {
  std::error_code error;
  if (fs::is_directory(output, error)) {
    return "-o '" + output + "' is a directory: name the file to write";
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (SameFile(output, db + suffix)) {
      return "-o '" + output + "' is the store" +
             (*suffix ? std::string(" file ") + (db + suffix) : "") +
             " this reads: writing it would destroy the results; name another file";
    }
  }
  for (const std::string& input : inputs) {
    if (SameFile(output, input)) {
      return "-o '" + output + "' is '" + input +
             "', a grid a batch of this store was run from: name another file";
    }
  }
  return "";
}

bool OutputMayBeWritten(const std::string& output, const std::string& db, ResultStore& store) {
  const std::string problem = OutputProblem(output, db, store.GridPaths());
  if (problem.empty()) return true;
  PrintError(problem);
  return false;
}

bool WriteOutputFile(const std::string& path, const std::string& text) {
  const fs::path target(path);
  const fs::path temporary = target.parent_path() / ("." + target.filename().string() + ".tmp-" +
                                                     std::to_string(::getpid()));
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      PrintError("cannot write '" + path + "': check the folder exists and is writable");
      return false;
    }
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) {
    fs::remove(temporary, error);
    PrintError("cannot write '" + path + "': " + error.message());
    return false;
  }
  return true;
}

}  // namespace attnsweep
