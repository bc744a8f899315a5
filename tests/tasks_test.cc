// The tasks through RunJob, as the workers call them.
#include "experiments/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <string>
#include <thread>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "experiments/grid.h"
#include "tests/scratch_dir_test.h"

namespace attnsweep {
namespace {

// The metrics a job reported, by name. Asking for one it did not report fails the test and reads as
// NaN, which no comparison accepts: a missing metric must never pass as 0.
class Metrics {
 public:
  explicit Metrics(const JobOutput& output)
      : values_(output.metrics.begin(), output.metrics.end()) {}

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  double operator[](const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
      ADD_FAILURE() << "the job reported no metric '" << name << "'";
      return std::numeric_limits<double>::quiet_NaN();
    }
    return it->second;
  }

 private:
  std::map<std::string, double> values_;
};

nlohmann::json BenchmarkConfig(int64_t length) {
  return nlohmann::json::parse(R"({"task": "benchmark", "seed": 1,
    "model": {"attention": "softmax", "d_model": 32, "heads": 2},
    "data": {"max_len": )" + std::to_string(length) +
                               R"(},
    "bench": {"batch_size": 2, "warmup": 1, "repeats": 3, "backward": true, "scope": "layer"}})");
}

TEST(BenchmarkTask, ReportsTimesAndMemory) {
  JobContext context;
  context.threads = 1;
  const JobOutput output = RunJob(BenchmarkConfig(256), context);
  ASSERT_EQ(output.outcome, JobOutcome::kDone) << output.error;
  const Metrics m(output);
  for (const char* name : {"fwd_ms", "fwd_ms_min", "fwd_ms_max", "fwdbwd_ms", "tokens_per_s",
                           "fwdbwd_tokens_per_s", "peak_mb", "fwdbwd_peak_mb", "rss_mb"}) {
    ASSERT_TRUE(m.Has(name)) << name;
    EXPECT_GT(m[name], 0) << name;
  }
  EXPECT_LE(m["fwd_ms_min"], m["fwd_ms"]);
  EXPECT_LE(m["fwd_ms"], m["fwd_ms_max"]);
  // Its noise, measured: the median's interval, and either narrow (within ±bench.rel_ci, 5 %) or
  // flagged; at least 6 passes for a 95 % interval, beyond the 3 asked for.
  EXPECT_LE(m["fwd_ms_lo"], m["fwd_ms"]);
  EXPECT_GE(m["fwd_ms_hi"], m["fwd_ms"]);
  EXPECT_GE(m["fwd_ms_lo"], m["fwd_ms_min"]);
  EXPECT_LE(m["fwd_ms_hi"], m["fwd_ms_max"]);
  EXPECT_GE(m["fwd_repeats"], 6);
  EXPECT_LE(m["fwd_repeats"], 30);
  if (m["fwd_ms_noisy"] == 0) {
    EXPECT_LE(m["fwd_ms_hi"] - m["fwd_ms"], 0.05 * m["fwd_ms"]);
    EXPECT_LE(m["fwd_ms"] - m["fwd_ms_lo"], 0.05 * m["fwd_ms"]);
  }
  EXPECT_GE(m["fwd_ms_mad"], 0);
  // What the machine did: the job's own CPU time per wall second, the load; never negative.
  EXPECT_GT(m["cpu_per_wall"], 0);
  EXPECT_GE(m["load_avg"], 0);
  EXPECT_GE(m["other_cores"], 0);
  EXPECT_NEAR(m["tokens_per_s"], 2 * 256 / (m["fwd_ms"] / 1000), 1e-6 * m["tokens_per_s"]);
  EXPECT_EQ(m["threads"], 1);
  // Forward peak: the B*H*L*L scores (1 MiB here), their softmax written over them, plus
  // activations of B*L*d.
  const double scores_mb = 2.0 * 2 * 256 * 256 * 4 / (1 << 20);
  const double activations_mb = 2.0 * 256 * 32 * 4 / (1 << 20);
  EXPECT_GE(m["peak_mb"], scores_mb);
  EXPECT_LE(m["peak_mb"], scores_mb + 8 * activations_mb) << "one L x L matrix, not two";
  // Backward keeps the softmax for the gradient and builds gradients of the same size.
  EXPECT_GT(m["fwdbwd_peak_mb"], m["peak_mb"]);
}

TEST(BenchmarkTask, MemoryGrowsQuadraticallyWithLength) {
  JobContext context;
  // Lengths where the L x L weights outweigh the linear part (q, k, v, outputs: 0.5 MB at 256,
  // beside 1 MB of weights).
  auto small = RunJob(BenchmarkConfig(512), context);
  auto large = RunJob(BenchmarkConfig(2048), context);
  ASSERT_EQ(small.outcome, JobOutcome::kDone);
  ASSERT_EQ(large.outcome, JobOutcome::kDone);
  const double ratio = Metrics(large)["peak_mb"] / Metrics(small)["peak_mb"];
  EXPECT_GT(ratio, 12.0);  // 16 for the L^2 part, diluted by the linear part
  EXPECT_LT(ratio, 16.5);
}

TEST(BenchmarkTask, UnknownVariantIsInvalid) {
  auto config = BenchmarkConfig(64);
  config["model"]["attention"] = "nonesuch";
  const JobOutput output = RunJob(config, {});
  EXPECT_EQ(output.outcome, JobOutcome::kInvalid);
  EXPECT_NE(output.error.find("nonesuch"), std::string::npos);
}

TEST(BenchmarkTask, StopRequestInterrupts) {
  JobContext context;
  context.stop_requested = [] { return true; };
  const JobOutput output = RunJob(BenchmarkConfig(64), context);
  EXPECT_EQ(output.outcome, JobOutcome::kInterrupted);
  EXPECT_TRUE(output.metrics.empty());
}

// The jobs of a grid, resolved as `attnsweep run` resolves them (every default filled in).
std::vector<nlohmann::json> JobsOf(const std::string& yaml) {
  const GridParseResult parsed = ParseGrid(yaml, "test");
  std::string errors;
  for (const auto& e : parsed.errors) errors += FormatGridIssue("grid.yaml", e) + "\n";
  EXPECT_TRUE(parsed.ok()) << errors;
  std::vector<nlohmann::json> configs;
  for (const auto& job : parsed.grid.jobs) configs.push_back(job.config);
  return configs;
}

double ApproximationError(const std::string& params) {
  // The base in defaults, so the test's own params may override any of it.
  const auto jobs =
      JobsOf(R"(defaults: {data.max_len: 64, model: {d_model: 16, heads: 2}, approx: {draws: 4}}
experiments:
  - name: a
    task: approximation
    params: {)" +
             params + "}\n");
  EXPECT_EQ(jobs.size(), 1u);
  const JobOutput output = RunJob(jobs.at(0), JobContext());
  EXPECT_EQ(output.outcome, JobOutcome::kDone) << output.error;
  const Metrics m(output);
  // The ∞-former reports how well its memory reconstructs the states; the others, attention's
  // error.
  const std::string name = m.Has("recon_error") ? "recon_error" : "rel_error";
  EXPECT_LE(m[name], m[name + "_max"]) << params;
  EXPECT_TRUE(m.Has(name + "_sd")) << params;
  return m[name];
}

TEST(ApproximationTask, ErrorsAgainstExactAttentionForEveryVariant) {
  // Exact variants reproduce softmax with the same projections.
  EXPECT_LT(ApproximationError("model.attention: softmax"), 1e-7);
  EXPECT_LT(ApproximationError("model.attention: softmax_chunked, model.chunked.block: 7"), 1e-5);
  // Performer's estimate improves with more random features (inputs of scale 2, so attention is
  // far from uniform and the estimate has something to get wrong).
  const double few = ApproximationError(
      "model.attention: performer, model.performer.features: 8, approx.scale: 2");
  const double many = ApproximationError(
      "model.attention: performer, model.performer.features: 512, approx.scale: 2");
  EXPECT_GT(few, 0);
  EXPECT_LT(many, few);
  EXPECT_GT(ApproximationError("model.attention: linformer, model.linformer.k: 8"), 0);
  // The ∞-former reports its memory's reconstruction error: smooth states are held better with
  // more basis functions.
  const double coarse = ApproximationError(
      "model.attention: infinity, model.infinity: {segment: 16, basis: 4}, approx.inputs: smooth");
  const double fine = ApproximationError(
      "model.attention: infinity, model.infinity: {segment: 16, basis: 64, ridge: 0.001}, "
      "approx.inputs: smooth");
  EXPECT_GT(coarse, 0);
  EXPECT_LT(fine, coarse / 2);
}

// Its data goes to the test's own folder (ScratchDirTest), never the user's cache.
class ApproximationOnData : public ScratchDirTest {};

TEST_F(ApproximationOnData, EmbeddedTransactionWindows) {
  // Windows of up to 1024 events: most customers have fewer (median 330), so every batch is padded,
  // and exact variants still match softmax at real positions: the mask reaches both sides.
  const std::string tx = "approx.inputs: transactions, data.customers: 200, data.max_len: 1024, ";
  EXPECT_LT(ApproximationError(tx + "model.attention: softmax"), 1e-7);
  EXPECT_LT(ApproximationError(tx + "model.attention: softmax_chunked, model.chunked.block: 5"),
            1e-5);
  EXPECT_GT(ApproximationError(tx + "model.attention: performer"), 0);
  const double coarse =
      ApproximationError(tx + "model.attention: infinity, model.infinity: {segment: 16, basis: 4}");
  const double fine = ApproximationError(
      tx + "model.attention: infinity, model.infinity: {segment: 16, basis: 64}");
  EXPECT_LT(fine, coarse);
}

TEST(ApproximationTask, GruHasNoAttentionToCompare) {
  const auto parsed = ParseGrid(R"(experiments:
  - {name: a, task: approximation, params: {model.attention: gru}}
)",
                                "test");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_NE(FormatGridIssue("g.yaml", parsed.errors[0]).find("gru has none"), std::string::npos);
  // A config that got past validation anyway (an older store, say) is refused, not crashed on.
  auto config = JobsOf(R"(experiments:
  - {name: a, task: approximation, params: {model.attention: softmax}}
)")
                    .at(0);
  config["model"]["attention"] = "gru";
  const JobOutput output = RunJob(config, JobContext());
  EXPECT_EQ(output.outcome, JobOutcome::kInvalid);
  EXPECT_NE(output.error.find("gru has none"), std::string::npos) << output.error;
}

TEST(SleepTask, SleepsAndReports) {
  const auto start = std::chrono::steady_clock::now();
  const JobOutput output =
      RunJob(nlohmann::json::parse(R"({"task":"sleep","seed":1,"sleep":{"seconds":0.12}})"), {});
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(output.outcome, JobOutcome::kDone);
  EXPECT_GE(Metrics(output)["seconds"], 0.12);
  EXPECT_GE(wall, 0.12);
}

TEST(SleepTask, InterruptIsNoticedQuickly) {
  std::atomic<bool> stop{false};
  JobContext context;
  context.stop_requested = [&] { return stop.load(); };
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const JobOutput output =
      RunJob(nlohmann::json::parse(R"({"task":"sleep","seed":1,"sleep":{"seconds":30}})"), context);
  stopper.join();
  EXPECT_EQ(output.outcome, JobOutcome::kInterrupted);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
}

TEST(RunJob, JobProcessesFlushSubnormalFloatsToZeroOnEveryThread) {
  at::set_num_threads(2);
  PrepareJobProcess();
  // 1e-39 is subnormal in float: flushed, it reads as 0 and products of it are 0, on whichever
  // intra-op thread computes each half of the tensor.
  const auto tiny = at::full({1 << 20}, 1e-39f);
  EXPECT_EQ((tiny * 3.0f).count_nonzero().item<int64_t>(), 0);
  // Normal floats are untouched.
  const auto small = at::full({1 << 20}, 1e-30f);
  EXPECT_EQ((small * 3.0f).count_nonzero().item<int64_t>(), 1 << 20);
}

TEST(RunJob, OurParallelLoopsRunOnEveryIntraOpThread) {
  at::set_num_threads(2);
  EXPECT_EQ(ThreadsOfOurParallelLoops(), 2);
  at::set_num_threads(1);
  EXPECT_EQ(ThreadsOfOurParallelLoops(), 1);
}

TEST(RunJob, UnknownTaskIsInvalidAndMalformedConfigIsAnError) {
  EXPECT_EQ(RunJob(nlohmann::json::parse(R"({"task":"nope"})"), {}).outcome, JobOutcome::kInvalid);
  const JobOutput broken = RunJob(nlohmann::json::parse(R"({"task":"sleep"})"), {});
  EXPECT_EQ(broken.outcome, JobOutcome::kError);
  EXPECT_FALSE(broken.error.empty());
}

}  // namespace
}  // namespace attnsweep
