// `benchmark`: wall time and memory of one attention layer's forward pass (bench.scope: layer), or
// of the whole classifier's (bench.scope: model), and of forward+backward.
//
// Forward runs under NoGradGuard (inference: nothing is kept for backward). Each figure is the
// median of the timed passes after bench.warmup untimed ones. The passes adapt to the machine's
// noise: at least bench.repeats, then more until the median's 95 % interval (order statistics, no
// assumption on the times' law) lies within ±bench.rel_ci of it, or bench.max_repeats passes or
// bench.max_seconds of timed work are spent; a pass stopped by a cap is stored noisy, with its
// interval (<pass>_ms_lo/_hi), its spread (min, max, median absolute deviation) and its count. What
// the machine was doing meanwhile is stored beside them (experiments/machine_load.h).
// On a GPU each pass is timed from an idle device to its kernels' end (CUDA runs them
// asynchronously: the clock alone would time their launch). Memory: peak_mb is the peak above what
// was allocated just before the pass, exact bytes from the counting allocator on the CPU, the
// caching allocator's on a GPU; rss_mb is the process's resident high-water mark over the timed
// passes (host memory).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/base/units.h"
#include "experiments/device/cuda_runtime.h"
#include "experiments/device/job_device.h"
#include "experiments/job_runner.h"
#include "experiments/machine_load.h"
#include "experiments/median_interval.h"
#include "experiments/memory/peak_memory_measure.h"
#include "experiments/memory/process_memory.h"
#include "experiments/models/attention_factory.h"
#include "experiments/models/encoder.h"
#include "experiments/repeat_policy.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {

struct PassStats {
  MedianInterval median;  // ms
  double min_ms = 0, max_ms = 0, mad_ms = 0;
  int repeats = 0;
  bool noisy = false;  // a cap stopped the passes before the interval was narrow enough
  double peak_mb = 0;  // counting allocator, above the start of the pass, max over passes
  double rss_mb = 0;   // process VmHWM over the timed passes
};

// Configs stored before these keys existed (a batch resumed after an upgrade) time as the defaults
// say.
RepeatPolicy RepeatPolicyOf(const nlohmann::json& bench) {
  const RepeatPolicy defaults;
  RepeatPolicy policy;
  policy.min_repeats = bench.at("repeats").get<int>();
  policy.max_repeats = bench.value("max_repeats", defaults.max_repeats);
  policy.max_seconds = bench.value("max_seconds", defaults.max_seconds);
  policy.rel_ci = bench.value("rel_ci", defaults.rel_ci);
  return policy;
}

template <typename Pass>
PassStats TimePasses(int warmup, const RepeatPolicy& policy, const JobContext& context,
                     const c10::Device& device, Pass pass) {
  for (int i = 0; i < warmup; ++i) {
    if (context.stop_requested()) throw JobInterrupted();
    pass();
  }
  ResetPeakRss();
  RepeatedTiming timing(policy);
  int64_t peak_bytes = 0;
  for (bool more = true; more;) {
    if (context.stop_requested()) throw JobInterrupted();
    WaitForDevice(device);
    PeakMemoryMeasure measure(CudaIndexOf(device));
    const auto start = std::chrono::steady_clock::now();
    pass();
    WaitForDevice(device);
    const auto end = std::chrono::steady_clock::now();
    peak_bytes = std::max(peak_bytes, measure.PeakAboveBaseline());
    more = timing.Add(std::chrono::duration<double, std::milli>(end - start).count());
  }
  const std::vector<double>& times_ms = timing.times_ms();
  PassStats stats;
  stats.median = timing.median();
  stats.noisy = timing.noisy();
  stats.repeats = static_cast<int>(times_ms.size());
  stats.min_ms = *std::min_element(times_ms.begin(), times_ms.end());
  stats.max_ms = *std::max_element(times_ms.begin(), times_ms.end());
  stats.mad_ms = MedianAbsoluteDeviation(times_ms);
  stats.peak_mb = static_cast<double>(peak_bytes) / kMiB;
  stats.rss_mb = static_cast<double>(PeakRssBytes()) / kMiB;
  return stats;
}

void Report(const std::string& prefix, const PassStats& stats, JobOutput* output) {
  const std::string ms = prefix + "_ms";
  output->metrics.emplace_back(ms, stats.median.median);
  output->metrics.emplace_back(ms + "_min", stats.min_ms);
  output->metrics.emplace_back(ms + "_max", stats.max_ms);
  output->metrics.emplace_back(ms + "_lo", stats.median.lo);
  output->metrics.emplace_back(ms + "_hi", stats.median.hi);
  output->metrics.emplace_back(ms + "_mad", stats.mad_ms);
  output->metrics.emplace_back(ms + "_noisy", stats.noisy ? 1.0 : 0.0);
  output->metrics.emplace_back(prefix + "_repeats", stats.repeats);
}

// The machine's state over the timed passes; a figure the kernel does not give is left out.
void ReportMachineLoad(const MachineLoad& load, JobOutput* output) {
  const std::pair<const char*, double> figures[] = {{"load_avg", load.load_avg},
                                                    {"cpu_per_wall", load.cpu_per_wall},
                                                    {"other_cores", load.other_cores},
                                                    {"steal_pct", load.steal_pct},
                                                    {"cpu_mhz", load.cpu_mhz}};
  for (const auto& [name, value] : figures) {
    if (std::isfinite(value)) output->metrics.emplace_back(name, value);
  }
}

}  // namespace

void RunBenchmarkTask(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const auto& model = config.at("model");
  const auto& bench = config.at("bench");
  const int64_t batch = bench.at("batch_size").get<int64_t>();
  const int64_t length = config.at("data").at("max_len").get<int64_t>();
  const int64_t d_model = model.at("d_model").get<int64_t>();
  const int warmup = bench.at("warmup").get<int>();
  const RepeatPolicy repeats = RepeatPolicyOf(bench);
  const bool whole_model = bench.at("scope").get<std::string>() == "model";

  const c10::Device device = JobDevice(context.device);
  torch::manual_seed(config.at("seed").get<uint64_t>());
  // One attention layer, or the whole classifier (encoder layers and head) around it.
  std::shared_ptr<torch::nn::Module> module;
  std::function<at::Tensor(const at::Tensor&)> forward;
  if (whole_model) {
    SequenceClassifier classifier = MakeClassifier(model, length);
    module = classifier.ptr();
    forward = [classifier](const at::Tensor& x) mutable { return classifier->forward(x); };
  } else {
    std::shared_ptr<AttentionImpl> attention = MakeAttention(model, length);
    module = attention;
    forward = [attention](const at::Tensor& x) { return attention->forward(x, {}); };
  }
  // The input's gradient is part of a layer's backward inside a network (the embeddings below it
  // train), and a layer without parameters (bag) has no other.
  module->to(device);
  const at::Tensor input = at::randn({batch, length, d_model}).to(device).requires_grad_(true);
  const double tokens = static_cast<double>(batch * length);

  module->eval();
  const MachineSnapshot before = TakeMachineSnapshot();
  PassStats fwd;
  {
    torch::NoGradGuard no_grad;
    fwd = TimePasses(warmup, repeats, context, device, [&] { forward(input); });
  }
  Report("fwd", fwd, output);
  output->metrics.emplace_back("tokens_per_s", tokens / (fwd.median.median / 1000.0));
  output->metrics.emplace_back("peak_mb", fwd.peak_mb);
  output->metrics.emplace_back("rss_mb", fwd.rss_mb);

  if (bench.at("backward").get<bool>()) {
    module->train();
    try {
      PassStats both = TimePasses(warmup, repeats, context, device, [&] {
        module->zero_grad(/*set_to_none=*/true);
        input.mutable_grad().reset();
        forward(input).sum().backward();
      });
      Report("fwdbwd", both, output);
      output->metrics.emplace_back("fwdbwd_tokens_per_s", tokens / (both.median.median / 1000.0));
      output->metrics.emplace_back("fwdbwd_peak_mb", both.peak_mb);
    } catch (const c10::Error& e) {
      // Training needs more memory than inference: keep the forward figures, say backward ran out.
      if (!IsOutOfMemory(e)) throw;
      module->zero_grad(/*set_to_none=*/true);
      input.mutable_grad().reset();
      if (device.is_cuda()) ReleaseCachedCudaMemory();
      output->metrics.emplace_back("fwdbwd_oom", 1.0);
    }
  }
  ReportMachineLoad(LoadBetween(before, TakeMachineSnapshot()), output);
  output->metrics.emplace_back("threads", at::get_num_threads());
}

}  // namespace attnsweep
