// The device side of a job that runs without a GPU here: mixed precision through autocast (on the
// CPU, whose autocast works the same way as CUDA's), Performer's fp32 features under it, device
// names, out-of-memory detection, and what a build without CUDA says when asked for a GPU.
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "experiments/device/autocast_scope.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/device/job_device.h"
#include "experiments/job_runner.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/models/performer_attention.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {

TEST(AutocastScope, RunsMatrixProductsInBf16AndRestoresTheState) {
  const auto a = at::randn({8, 8}), b = at::randn({8, 8});
  ASSERT_FALSE(AutocastEnabled(c10::DeviceType::CPU));
  {
    AutocastScope scope(c10::DeviceType::CPU, at::kBFloat16);
    EXPECT_TRUE(AutocastEnabled(c10::DeviceType::CPU));
    EXPECT_EQ(at::matmul(a, b).scalar_type(), at::kBFloat16);
    {
      AutocastSuspended fp32;
      EXPECT_FALSE(AutocastEnabled(c10::DeviceType::CPU));
      EXPECT_EQ(at::matmul(a, b).scalar_type(), at::kFloat);
    }
    EXPECT_EQ(at::matmul(a, b).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(AutocastEnabled(c10::DeviceType::CPU));
  EXPECT_EQ(at::matmul(a, b).scalar_type(), at::kFloat);
}

TEST(PerformerUnderAutocast, FeaturesStayFp32) {
  // FAVOR+ on given q, k, v has no projection of its own: with its features and their products in
  // fp32, autocast changes nothing; in bf16 the estimate would move by ~1e-2.
  at::manual_seed(5);
  const auto q = at::randn({2, 2, 64, 16}), k = at::randn({2, 2, 64, 16});
  const auto v = at::randn({2, 2, 64, 16});
  const auto w = at::randn({32, 16});
  const auto fp32 = FavorAttention(q, k, v, w, "positive", {});
  at::Tensor mixed;
  {
    AutocastScope scope(c10::DeviceType::CPU, at::kBFloat16);
    mixed = FavorAttention(q, k, v, w, "positive", {});
  }
  EXPECT_EQ(mixed.scalar_type(), at::kFloat);
  EXPECT_LT(((mixed - fp32).norm() / fp32.norm()).item<double>(), 1e-6);
  // The control: the same products in bf16 are far off, so the comparison above can fail.
  const auto bf16 = FavorAttention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16),
                                   w.to(at::kBFloat16), "positive", {});
  EXPECT_GT(((bf16.to(at::kFloat) - fp32).norm() / fp32.norm()).item<double>(), 1e-3);
}

TEST(PerformerUnderAutocast, LayerProjectsInBf16AndStaysClose) {
  at::manual_seed(6);
  PerformerAttention layer(PerformerAttentionOptions(32, 4));
  layer->eval();
  at::NoGradGuard no_grad;
  const auto x = at::randn({2, 48, 32});
  const auto fp32 = layer->forward(x, {});
  at::Tensor mixed;
  {
    AutocastScope scope(c10::DeviceType::CPU, at::kBFloat16);
    mixed = layer->forward(x, {});
  }
  EXPECT_TRUE(at::isfinite(mixed.to(at::kFloat)).all().item<bool>());
  const double error = ((mixed.to(at::kFloat) - fp32).norm() / fp32.norm()).item<double>();
  EXPECT_GT(error, 0.0);  // the projections did run in bf16
  EXPECT_LT(error, 5e-2);
}

TEST(JobDevice, NamesTheCpuAndRefusesWhatThisBuildCannotReach) {
  EXPECT_TRUE(JobDevice("cpu").is_cpu());
  EXPECT_TRUE(JobDevice("").is_cpu());
  EXPECT_EQ(CudaIndexOf(JobDevice("cpu")), -1);
  EXPECT_THROW(JobDevice("tpu:0"), std::runtime_error);
  if (BuiltWithCuda()) GTEST_SKIP() << "a CUDA build: gpu_tests covers cuda:N";
  try {
    JobDevice("cuda:0");
    FAIL() << "a build without CUDA accepted cuda:0";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no CUDA"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CudaDevicesSeen(), 0);
  EXPECT_EQ(CudaBuildDescription(), "");
}

TEST(JobDevice, AJobSentToAGpuThisBuildLacksEndsAsAnError) {
  if (BuiltWithCuda()) GTEST_SKIP() << "a CUDA build";
  JobContext context;
  context.device = "cuda:0";
  const JobOutput output = RunJob(
      nlohmann::json::parse(R"({"task": "sleep", "seed": 1, "sleep": {"seconds": 0}})"), context);
  EXPECT_EQ(output.outcome, JobOutcome::kError);
  EXPECT_NE(output.error.find("has no CUDA"), std::string::npos) << output.error;
}

TEST(IsOutOfMemory, TellsOutOfMemoryFromOtherErrors) {
  try {
    TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory. Tried to allocate 2.00 GiB");
  } catch (const std::exception& e) {
    EXPECT_TRUE(IsOutOfMemory(e));
  }
  try {
    TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB");
  } catch (const std::exception& e) {
    EXPECT_TRUE(IsOutOfMemory(e));
  }
  try {
    TORCH_CHECK(false, "shape mismatch");
  } catch (const std::exception& e) {
    EXPECT_FALSE(IsOutOfMemory(e));
  }
}

TEST(PeakMemoryMeasure, CountsWhatARegionAllocatedOnTheCpu) {
  PrepareJobProcess();  // installs the counting allocator
  PeakMemoryMeasure measure;
  { const auto t = at::empty({1 << 20}, at::kFloat); }
  EXPECT_GE(measure.PeakAboveBaseline(), 4 << 20);
  EXPECT_LT(measure.PeakAboveBaseline(), 5 << 20);
}

}  // namespace
}  // namespace attnsweep
