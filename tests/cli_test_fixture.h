// A folder of its own for each end-to-end test, and helpers to run attnsweep in it as a shell
// would.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "store/readonly_query.h"
#include "tests/test_process.h"

namespace attnsweep {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("attnsweep_e2e_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // Prepared and generated data go to the test's folder, never the user's cache.
    setenv("ATTNSWEEP_CACHE", (dir_ + "/cache").c_str(), 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(std::filesystem::path(dir_) / name) << text;
  }
  attnsweep::testing::CommandResult Run(const std::string& args) {
    return attnsweep::testing::RunShell(attnsweep::testing::Attnsweep() + " " + args, dir_);
  }
  // One value from the store, read as the user would with `attnsweep query`.
  int64_t QueryInt(const std::string& sql, const std::string& db = "a.db") {
    Database d = OpenGuardedReadOnly(dir_ + "/" + db);
    return std::get<int64_t>(RunReadOnlyQuery(d, sql).rows.at(0).at(0));
  }
  // The same while the store may not exist yet, or lack its schema: `otherwise` then.
  int64_t QueryIntOr(const std::string& sql, int64_t otherwise, const std::string& db = "a.db") {
    try {
      return QueryInt(sql, db);
    } catch (const std::exception&) {
      return otherwise;
    }
  }

  // Starts a sweep of eight sleep jobs of `seconds` each and waits until at least `done` are done;
  // returns its pid and the count seen. `launcher` goes before the binary (an mpirun, say).
  std::pair<pid_t, int64_t> StartSlowSweepAndWait(int64_t done, const std::string& stderr_to,
                                                  const std::string& launcher = "",
                                                  double seconds = 0.5, int jobs = 8) {
    Write("slow.yaml", R"(experiments:
  - name: slow
    task: sleep
    params: {sleep.seconds: )" +
                           std::to_string(seconds) + R"(}
    grid: {seed: {range: [1, )" +
                           std::to_string(jobs) +
                           R"(]}}
)");
    const pid_t pid =
        attnsweep::testing::StartShell("exec " + launcher + attnsweep::testing::Attnsweep() +
                                           " run slow.yaml --db a.db 2>" + stderr_to,
                                       dir_);
    int64_t seen = 0;
    for (int i = 0; i < 200 && seen < done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      try {
        seen = QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'");
      } catch (const std::exception&) {
        // the store or its schema may not exist yet
      }
    }
    return {pid, seen};
  }

  std::string dir_;
};

}  // namespace attnsweep
