// What `run` and `resume` do below the command line: turn a parsed grid into a stored batch, or
// take a stored batch up again, and run it over every rank. The command line reads and prints;
// this stores, leases and coordinates, and answers with a value: the batch to run, or a problem
// with its exit code. Whatever the answer, Run is where the worker ranks learn it: they are
// dismissed in that one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/batch_lookup.h"
#include "store/result_store.h"
#include "workers/sweep.h"

namespace attnsweep {

struct Grid;

// What rank 0 has after Start or Resume: the batch whose lease it holds, or why there is none.
struct BatchToRun {
  std::optional<int64_t> batch_id;
  int exit_code = 0;    // without a batch: what the command ends with (0: nothing to do, fine)
  std::string problem;  // without a batch: what to tell the user; empty when already told

  static BatchToRun Batch(int64_t id) { return {id, 0, ""}; }
  static BatchToRun Ended(int exit_code, std::string problem = "") {
    return {std::nullopt, exit_code, std::move(problem)};
  }
};

struct NewBatchRequest {
  const Grid* grid = nullptr;
  std::string grid_text;  // as read, stored with the batch
  std::string grid_path;
  std::string db_path;
  bool reuse = false;  // --reuse: jobs whose key has a done result in the store are not run again
  std::vector<std::string> overrides;  // the command line's, stored with the batch
};

struct ResumeRequest {
  std::string db_path;  // must exist
  std::string batch;    // id or name; empty: the newest unfinished batch
  bool retry_failed = false;
  // Resume even when the data of the batch's unfinished jobs has changed since it was stored.
  bool allow_changed_data = false;
};

class BatchService {
 public:
  // Collective: every rank constructs it (SweepRanks). `settings` are the sweep's, parsed.
  BatchService(MpiRuntime& mpi, JobLauncher* launcher, SweepSettings settings);

  bool is_coordinator() const { return ranks_.is_coordinator(); }
  // The ranks that run jobs (every rank but the coordinator; the one rank when it is alone).
  int worker_ranks() const { return ranks_.worker_ranks(); }
  // Worker ranks: serve until rank 0 says stop; returns the exit code it gave.
  int ServeAsWorker() { return ranks_.ServeAsWorker(settings_); }

  // Rank 0. Prepares the jobs' data, stores the grid's jobs as a new batch and takes its lease.
  BatchToRun Start(const NewBatchRequest& request);
  // Rank 0. Finds the batch, takes its lease (over a dead holder's), settles the attempts a dead
  // coordinator left running, requeues failed jobs when asked, prepares the pending jobs' data.
  BatchToRun Resume(const ResumeRequest& request);
  // Rank 0. Coordinates the batch until it ends and logs how, or dismisses the worker ranks with
  // the problem's exit code. Returns the exit code.
  int Run(const BatchToRun& to_run);

 private:
  SweepRanks ranks_;
  SweepSettings settings_;
  MpiRuntime& mpi_;
  std::optional<ResultStore> store_;  // open for writing once Start or Resume opened it
  std::string db_path_;
};

// "3 failed: 2 crash, 1 oom": the batch's failed jobs by kind.
std::string FailuresByKind(ResultStore& store, int64_t batch_id);
// How to run a batch's failed jobs again, which of them would fail again as they are (an OOM at
// the same cap, a timeout at the same limit, a divergence with the same seed and recipe), and
// where to read why they failed.
std::string RetryFailedHint(ResultStore& store, int64_t batch_id, const std::string& db_path);

}  // namespace attnsweep
