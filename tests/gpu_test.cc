// Jobs on a GPU, for a build against a CUDA LibTorch on a machine with an NVIDIA GPU
// (scripts/device_check.sh runs them there); not built elsewhere. Each figure is checked against
// something the device cannot fake: the bytes softmax must hold, time that grows with the work,
// the fp32 path's own result, a signal the synthetic data plants.
#include <map>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "experiments/device/autocast_scope.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/grid.h"
#include "experiments/job_runner.h"
#include "experiments/models/performer_attention.h"
#include "tests/scratch_dir_test.h"
#include "workers/device_placement.h"

namespace attnsweep {
namespace {

class GpuJobs : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    ASSERT_TRUE(BuiltWithCuda());
    ASSERT_GT(CudaDevicesSeen(), 0) << "no GPU visible";
  }
  static nlohmann::json Config(const std::string& task, const std::string& params) {
    const GridParseResult parsed = ParseGrid(R"(defaults:
  data: {customers: 1500, max_len: 64, signal: 3}
  model: {d_model: 64, heads: 4, layers: 1, ff_dim: 128}
  train: {epochs: 4, batch_size: 32, lr: 0.003, patience: 0}
  bench: {batch_size: 4, warmup: 2, repeats: 5}
experiments:
  - name: g
    task: )" + task + R"(
    params:
      )" + params + "\n",
                                             "gpu");
    std::string errors;
    for (const auto& e : parsed.errors) errors += FormatGridIssue("grid.yaml", e) + "\n";
    EXPECT_TRUE(parsed.ok()) << errors;
    return parsed.grid.jobs.at(0).config;
  }
  static std::map<std::string, double> Run(const nlohmann::json& config, JobOutcome expected) {
    JobContext context;
    context.device = "cuda:0";
    const JobOutput output = RunJob(config, context);
    EXPECT_EQ(output.outcome, expected) << output.error;
    return {output.metrics.begin(), output.metrics.end()};
  }
};

TEST_F(GpuJobs, OurGpuCountIsCudas) {
  // Workers count GPUs without starting CUDA (device_placement.h); CUDA itself must agree.
  EXPECT_EQ(VisibleGpus(), CudaDevicesSeen());
}

TEST_F(GpuJobs, SoftmaxPeakMemoryHoldsItsWeightsAndTimeGrowsWithTheWork) {
  // Forward of plain softmax at L 4096: 4 sequences x 4 heads x 4096^2 fp32 weights = 1 GiB at
  // least; at 8192 four times the work, so a synchronised clock must see it take longer.
  auto at4096 = Run(Config("benchmark",
                           "model.attention: softmax\n      data.max_len: 4096\n"
                           "      bench.backward: false"),
                    JobOutcome::kDone);
  auto at8192 = Run(Config("benchmark",
                           "model.attention: softmax\n      data.max_len: 8192\n"
                           "      bench.backward: false"),
                    JobOutcome::kDone);
  std::printf("softmax fwd on GPU: L 4096 %.3f ms, %.0f MB; L 8192 %.3f ms, %.0f MB\n",
              at4096["fwd_ms"], at4096["peak_mb"], at8192["fwd_ms"], at8192["peak_mb"]);
  EXPECT_GE(at4096["peak_mb"], 1024);
  EXPECT_LT(at4096["peak_mb"], 8 * 1024);
  EXPECT_GT(at8192["peak_mb"], 3.5 * at4096["peak_mb"]);
  EXPECT_GT(at8192["fwd_ms"], 2.0 * at4096["fwd_ms"]);
}

TEST_F(GpuJobs, PerformerNeedsLessMemoryThanSoftmaxAndBackwardRuns) {
  auto performer = Run(Config("benchmark", "model.attention: performer\n      data.max_len: 4096"),
                       JobOutcome::kDone);
  auto softmax = Run(Config("benchmark", "model.attention: softmax\n      data.max_len: 4096"),
                     JobOutcome::kDone);
  EXPECT_GT(performer["fwdbwd_ms"], 0);
  EXPECT_LT(performer["peak_mb"], softmax["peak_mb"] / 4);
  EXPECT_LT(performer["fwdbwd_peak_mb"], softmax["fwdbwd_peak_mb"] / 4);
}

TEST_F(GpuJobs, OutOfGpuMemoryIsTheOomOutcome) {
  // 64 x 4 x 131072^2 fp32 weights: 17 TB.
  Run(Config("benchmark",
             "model.attention: softmax\n      data.max_len: 131072\n"
             "      bench.batch_size: 64\n      bench.backward: false"),
      JobOutcome::kOom);
  // The device is usable after it.
  Run(Config("benchmark", "model.attention: softmax\n      data.max_len: 256"), JobOutcome::kDone);
}

TEST_F(GpuJobs, TrainsInBf16AndLearnsTheSignal) {
  for (const char* variant : {"softmax", "performer", "linformer", "infinity"}) {
    auto m = Run(Config("train", std::string("model.attention: ") + variant), JobOutcome::kDone);
    std::printf("%s on GPU: test AUC %.3f, %.3f s per epoch, %.0f MB\n", variant, m["test_auc"],
                m["epoch_s"], m["peak_mb"]);
    EXPECT_GE(m["test_auc"], 0.7) << variant;
    EXPECT_GT(m["peak_mb"], 0) << variant;
  }
}

TEST_F(GpuJobs, PerformerFeaturesStayFp32UnderCudaAutocast) {
  const auto options = at::TensorOptions(at::kFloat).device(at::kCUDA, 0);
  at::manual_seed(5);
  const auto q = at::randn({2, 2, 256, 32}, options), k = at::randn({2, 2, 256, 32}, options);
  const auto v = at::randn({2, 2, 256, 32}, options), w = at::randn({64, 32}, options);
  const auto fp32 = FavorAttention(q, k, v, w, "positive", {});
  at::Tensor mixed;
  {
    AutocastScope scope(c10::DeviceType::CUDA, at::kBFloat16);
    EXPECT_EQ(at::matmul(q, k.transpose(-2, -1)).scalar_type(), at::kBFloat16);
    mixed = FavorAttention(q, k, v, w, "positive", {});
  }
  EXPECT_EQ(mixed.scalar_type(), at::kFloat);
  EXPECT_LT(((mixed - fp32).norm() / fp32.norm()).item<double>(), 1e-5);
}

}  // namespace
}  // namespace attnsweep
