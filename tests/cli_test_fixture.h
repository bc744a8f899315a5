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

// A grid of one experiment, `name`, of sleep jobs of `seconds` each (as YAML writes it), seeds 1 to
// `jobs`.
inline std::string SleepGrid(const std::string& name, const std::string& seconds, int jobs) {
  return "experiments:\n  - name: " + name +
         "\n    task: sleep\n    params: {sleep.seconds: " + seconds +
         "}\n    grid: {seed: {range: [1, " + std::to_string(jobs) + "]}}\n";
}

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

  // Polls the store every `every` until it has at least `done` done jobs, `polls` times at most
  // (a store or schema not there yet counts as none more): the count it last saw.
  int64_t WaitForDoneJobs(int64_t done, int polls, std::chrono::milliseconds every) {
    int64_t seen = 0;
    for (int i = 0; i < polls && seen < done; ++i) {
      std::this_thread::sleep_for(every);
      seen = QueryIntOr("SELECT count(*) FROM jobs WHERE status = 'done'", seen);
    }
    return seen;
  }

  // Starts a sweep of eight sleep jobs of `seconds` each and waits until at least `done` are done;
  // returns its pid and the count seen. `launcher` goes before the binary (an mpirun, say).
  std::pair<pid_t, int64_t> StartSlowSweepAndWait(int64_t done, const std::string& stderr_to,
                                                  const std::string& launcher = "",
                                                  double seconds = 0.5, int jobs = 8) {
    Write("slow.yaml", SleepGrid("slow", std::to_string(seconds), jobs));
    const pid_t pid =
        attnsweep::testing::StartShell("exec " + launcher + attnsweep::testing::Attnsweep() +
                                           " run slow.yaml --db a.db 2>" + stderr_to,
                                       dir_);
    return {pid, WaitForDoneJobs(done, 200, std::chrono::milliseconds(50))};
  }

  std::string dir_;
};

}  // namespace attnsweep
