// For the training tasks' tests: a job run whole, then the same job stopped as soon as its first
// epoch's checkpoint exists and started again, must resume at epoch 2 and end with the whole run's
// figures and curves, bit for bit.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/job_runner.h"
#include "tests/first_job_config.h"

namespace attnsweep {

// `epochs`: what the config runs; `figures`: the metrics that must match. Checkpoints go to `dir`.
inline void ExpectResumedJobEndsAsTheWholeOne(const nlohmann::json& config,
                                              const std::filesystem::path& dir, int64_t epochs,
                                              const std::vector<std::string>& figures) {
  JobContext whole;
  whole.threads = 1;
  whole.checkpoint_path = (dir / "whole.pt").string();
  const JobOutput uninterrupted = RunJob(config, whole);
  ASSERT_EQ(uninterrupted.outcome, JobOutcome::kDone) << uninterrupted.error;
  EXPECT_FALSE(std::filesystem::exists(whole.checkpoint_path))
      << "a finished job's checkpoint is removed";

  // Stop as soon as the first epoch's checkpoint exists: the attempt ends interrupted.
  JobContext first;
  first.threads = 1;
  first.checkpoint_path = (dir / "split.pt").string();
  first.stop_requested = [&] { return std::filesystem::exists(first.checkpoint_path); };
  EXPECT_EQ(RunJob(config, first).outcome, JobOutcome::kInterrupted);
  ASSERT_TRUE(std::filesystem::exists(first.checkpoint_path));

  JobContext second;
  second.threads = 1;
  second.checkpoint_path = first.checkpoint_path;
  const JobOutput resumed = RunJob(config, second);
  ASSERT_EQ(resumed.outcome, JobOutcome::kDone) << resumed.error;
  auto a = MetricsByName(uninterrupted), b = MetricsByName(resumed);
  EXPECT_EQ(b["resumed_at_epoch"], 2);  // epoch 1 was not run again
  EXPECT_EQ(b["epochs"], epochs);
  for (const std::string& name : figures) EXPECT_EQ(a[name], b[name]) << name;
  ASSERT_EQ(resumed.curves.size(), uninterrupted.curves.size());
  for (size_t i = 0; i < resumed.curves.size(); ++i) {
    EXPECT_EQ(resumed.curves[i].value, uninterrupted.curves[i].value) << resumed.curves[i].name;
  }
}

}  // namespace attnsweep
