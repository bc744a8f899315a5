// A store written through the store's own API with a known shape, for the tests of what reads it
// (results --pivot, jobs, export, report): benchmark, train and approximation jobs of three
// variants — one named to break an HTML page — with figures from known power laws, an
// out-of-memory job, a backward pass that ran out of memory, and a job that failed with an error.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/result_store.h"

namespace attnsweep::testing {

// A variant name that would end a <script> element and open an element of its own if the report
// wrote it unescaped.
inline const char* kHostileVariant = "</script><b id=\"injected\">x";

struct ComparisonStore {
  int64_t batch_id = 0;
  int64_t jobs = 0;
  int64_t failed = 0;
  // Cells (series × x) each plot must draw, failed cells included.
  int length_cells = 0;         // per time or memory plot: 3 variants × 4 lengths
  int auc_cells = 0;            // 2 variants × 2 lengths
  int approximation_cells = 0;  // 3 feature counts × 2 kernels
  int curve_cells = 0;          // per curve plot: 4 series × 3 epochs
};

inline std::vector<std::string> ComparisonVariants() {
  return {"softmax", "performer", kHostileVariant};
}
inline std::vector<int> ComparisonLengths() { return {64, 256, 1024, 4096}; }

// Forward time of `variant` at `length`: L^2 for softmax, L^1 for the others (ms).
inline double ComparisonFwdMs(size_t variant, int length) {
  return (variant == 0 ? 1e-4 * length * length : 0.02 * length) * (1 + 0.1 * variant);
}

// A job to write into a test store: its config and, done, its figures; or how it failed.
struct PlannedJob {
  nlohmann::json config;
  std::string experiment;
  std::vector<Metric> metrics;
  std::vector<CurvePoint> curves;
  std::vector<Prediction> predictions;
  std::string failure;  // outcome kind; "" = done
  std::string error;    // the failure's message
};

// Writes `planned` as one batch through the store's own API, each job started then committed or
// failed; returns the batch id.
inline int64_t WritePlannedBatch(ResultStore& store, NewBatch batch,
                                 const std::vector<PlannedJob>& planned) {
  std::vector<NewJob> jobs;
  for (size_t i = 0; i < planned.size(); ++i) {
    jobs.push_back(
        {planned[i].experiment, "key" + std::to_string(i), planned[i].config.dump(), 1, "{}", ""});
  }
  const int64_t batch_id = store.CreateBatch(batch, jobs);
  for (const JobRecord& record : store.PendingJobs(batch_id)) {
    const PlannedJob& job = planned[std::stoul(record.job_key.substr(3))];
    const int attempt = store.StartAttempt(record.id, {1, "testhost", "cpu", 1, "process"});
    if (job.failure.empty()) {
      store.CommitResult(record.id, attempt, job.metrics, job.curves, std::nullopt,
                         job.predictions);
    } else {
      store.RecordFailure(record.id, attempt, job.failure, job.error, false);
    }
  }
  store.FinishBatch(batch_id, "failed");
  return batch_id;
}

inline ComparisonStore WriteComparisonStore(const std::string& path) {
  ResultStore store = ResultStore::OpenForWriting(path);
  using Planned = PlannedJob;
  std::vector<Planned> planned;
  const auto variants = ComparisonVariants();
  for (size_t v = 0; v < variants.size(); ++v) {
    for (int length : ComparisonLengths()) {
      Planned job;
      job.experiment = "speed";
      job.config = {{"task", "benchmark"},
                    {"seed", 1},
                    {"model", {{"attention", variants[v]}, {"d_model", 64}}},
                    {"data", {{"max_len", length}}}};
      const double fwd = ComparisonFwdMs(v, length);
      if (v == 0 && length == 4096) {
        job.failure = "oom";
      } else if (v == 1 && length == 4096) {
        job.metrics = {{"fwd_ms", fwd}, {"peak_mb", fwd / 2}, {"fwdbwd_oom", 1}};
      } else {
        job.metrics = {{"fwd_ms", fwd},        {"fwd_ms_min", fwd * 0.9}, {"fwd_ms_max", fwd * 1.2},
                       {"fwdbwd_ms", 3 * fwd}, {"peak_mb", fwd / 2},      {"fwdbwd_peak_mb", fwd}};
      }
      planned.push_back(job);
    }
  }
  for (size_t v = 0; v < 2; ++v) {
    for (int length : {64, 256}) {
      for (int seed : {1, 2, 3}) {
        Planned job;
        job.experiment = "quality";
        job.config = {{"task", "train"},
                      {"seed", seed},
                      {"model", {{"attention", variants[v]}, {"d_model", 64}}},
                      {"data", {{"max_len", length}}}};
        job.metrics = {{"test_auc", 0.6 + 0.05 * v + 0.0001 * length + 0.01 * seed},
                       {"test_accuracy", 0.6}};
        for (int epoch = 1; epoch <= 3; ++epoch) {
          job.curves.push_back({epoch, "train_loss", 0.7 - 0.05 * epoch - 0.01 * seed});
          job.curves.push_back({epoch, "val_auc", 0.55 + 0.03 * epoch + 0.01 * seed});
        }
        planned.push_back(job);
      }
    }
  }
  for (int features : {16, 64, 256}) {
    for (const char* kernel : {"positive", "trig"}) {
      Planned job;
      job.experiment = "favor";
      job.config = {{"task", "approximation"},
                    {"seed", 1},
                    {"model",
                     {{"attention", "performer"},
                      {"d_model", 64},
                      {"performer", {{"features", features}, {"kernel", kernel}}}}},
                    {"data", {{"max_len", 1024}}}};
      job.metrics = {{"rel_error", (kernel[0] == 't' ? 4.0 : 1.0) / std::sqrt(features)}};
      planned.push_back(job);
    }
  }
  {
    Planned job;
    job.experiment = "broken";
    job.config = {{"task", "fault"}, {"seed", 1}, {"fault", {{"kind", "throw"}}}};
    job.failure = "error";
    planned.push_back(job);
  }
  NewBatch batch;
  batch.name = "comparison";
  batch.grid_yaml = "experiments: []";
  batch.description = "written by tests/comparison_store.h";
  batch.tags = {"test"};
  ComparisonStore result;
  for (auto& job : planned) {
    if (job.failure.empty()) continue;
    job.error = job.failure == "oom" ? "out of memory: tried to allocate 64 GiB\nmore"
                                     : "fault job: thrown on purpose";
    ++result.failed;
  }
  result.batch_id = WritePlannedBatch(store, batch, planned);
  result.jobs = static_cast<int64_t>(planned.size());
  result.length_cells = 12;
  result.auc_cells = 4;
  result.approximation_cells = 6;
  result.curve_cells = 12;
  return result;
}

}  // namespace attnsweep::testing
