// The bad-input catalogue (tests/bad_inputs/catalogue.yaml): for each entry, what a user gives
// attnsweep that it must refuse, the exit code it must give, a fragment of what it must say, and
// every store in the folder unchanged, row for row. One test per entry.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "tests/cli_test_fixture.h"
#include "tests/test_process.h"

namespace attnsweep {
namespace {

struct BadInput {
  std::string name;
  std::map<std::string, std::string> files;
  std::vector<std::string> before;
  std::string run;
  int exit = 0;
  std::string says;
  int ranks = 0;  // > 0: under scripts/mpirun.sh with this many ranks
  bool cpu_build_only =
      false;  // what a build without CUDA answers (a CUDA build answers otherwise)
};

// Its name, where gtest and ctest print a parameter (not its bytes).
void PrintTo(const BadInput& entry, std::ostream* out) { *out << entry.name; }

std::vector<BadInput> LoadCatalogue() {
  std::vector<BadInput> entries;
  const YAML::Node root =
      YAML::LoadFile(std::string(ATTNSWEEP_SOURCE_DIR) + "/tests/bad_inputs/catalogue.yaml");
  for (const auto& node : root) {
    BadInput entry;
    entry.name = node["name"].as<std::string>();
    if (node["files"]) {
      for (const auto& file : node["files"]) {
        entry.files[file.first.as<std::string>()] = file.second.as<std::string>();
      }
    }
    if (node["before"]) {
      for (const auto& command : node["before"]) entry.before.push_back(command.as<std::string>());
    }
    entry.run = node["run"].as<std::string>();
    entry.exit = node["exit"].as<int>();
    entry.says = node["says"].as<std::string>();
    if (node["ranks"]) entry.ranks = node["ranks"].as<int>();
    if (node["build"]) entry.cpu_build_only = node["build"].as<std::string>() == "cpu";
    entries.push_back(entry);
  }
  return entries;
}

class BadInputCatalogue : public CliTest, public ::testing::WithParamInterface<BadInput> {
 protected:
  // Every store's rows, by file: what the command must leave as it found.
  std::map<std::string, std::string> Stores() {
    std::map<std::string, std::string> rows;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      if (entry.path().extension() != ".db" || !entry.is_regular_file()) continue;
      const auto dump =
          testing::RunShell("python3 " + std::string(ATTNSWEEP_SOURCE_DIR) +
                                "/tests/bad_inputs/store_rows.py " + entry.path().string(),
                            dir_);
      // A dump that failed would compare equal to itself and prove nothing.
      EXPECT_EQ(dump.exit_code, 0) << entry.path() << ": " << dump.err;
      rows[entry.path().filename().string()] = dump.out;
    }
    return rows;
  }
};

TEST_P(BadInputCatalogue, IsRefusedClearlyAndLosesNothing) {
  const BadInput& entry = GetParam();
  if (entry.cpu_build_only && ATTNSWEEP_BUILT_WITH_CUDA) {
    GTEST_SKIP()
        << "a CUDA build: CliTest.DeviceIsRecordedAndCudaOnABuildWithoutItIsRefused checks "
           "its answer";
  }
  for (const auto& [name, text] : entry.files) {
    std::filesystem::create_directories((std::filesystem::path(dir_) / name).parent_path());
    Write(name, text);
  }
  // `before` commands name the binary as plain `attnsweep`.
  for (const auto& command : entry.before) {
    const bool ours = command.rfind("attnsweep ", 0) == 0;
    testing::RunShell(ours ? testing::Attnsweep() + command.substr(9) : command, dir_);
  }
  const auto stores_before = Stores();
  const std::string mpirun = entry.ranks > 0
                                 ? std::string(ATTNSWEEP_SOURCE_DIR) + "/scripts/mpirun.sh -np " +
                                       std::to_string(entry.ranks) + " "
                                 : "";
  const auto result =
      testing::RunShell("timeout 60 " + mpirun + testing::Attnsweep() + " " + entry.run, dir_);
  EXPECT_EQ(result.exit_code, entry.exit) << entry.run << "\n" << result.err << result.out;
  EXPECT_NE((result.err + result.out).find(entry.says), std::string::npos)
      << entry.run << "\nsaid: " << result.err << result.out;
  EXPECT_EQ(Stores(), stores_before) << "a store changed";
}

TEST(BadInputCatalogueSize, HoldsAtLeastEightyEntries) { EXPECT_GE(LoadCatalogue().size(), 80u); }

INSTANTIATE_TEST_SUITE_P(Entries, BadInputCatalogue, ::testing::ValuesIn(LoadCatalogue()),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace attnsweep
