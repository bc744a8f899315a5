// A fresh folder for each test, removed afterwards, holding the data cache too (ATTNSWEEP_CACHE),
// so tests never read or write the user's.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace attnsweep {

class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attnsweep-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    setenv("ATTNSWEEP_CACHE", (dir_ / "cache").c_str(), 1);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    unsetenv("ATTNSWEEP_CACHE");
  }

  std::filesystem::path dir_;
};

}  // namespace attnsweep
