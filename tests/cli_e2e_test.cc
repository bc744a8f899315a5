// The attnsweep binary end to end: run, status, results, query, and their failure modes, as a user
// meets them from a shell. Each test works in a folder of its own.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/readonly_query.h"
#include "store/result_store.h"
#include "store/sqlite_handle.h"
#include "tests/cli_test_fixture.h"
#include "tests/csv_rows.h"
#include "tests/test_process.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;
using testing::Attnsweep;
using testing::RunShell;

const char* kSmallGrid = R"(name: small
defaults:
  model: {d_model: 32, heads: 2}
experiments:
  - name: speed
    task: benchmark
    params: {bench: {batch_size: 2, warmup: 1, repeats: 2}}
    grid:
      data.max_len: [64, 128]
  - name: dispatch
    task: sleep
    params: {sleep.seconds: 0.05}
    grid: {seed: [1, 2, 3]}
)";

TEST_F(CliTest, RunThenStatusResultsAndQuery) {
  Write("grid.yaml", kSmallGrid);
  auto run = Run("run grid.yaml --db a.db --threads-per-rank 1");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("batch 1 finished: 5 done, 0 failed"), std::string::npos) << run.err;

  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'done'"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE threads = 1 AND attempts = 1"), 5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'fwd_ms' AND value > 0"), 2);
  EXPECT_EQ(QueryInt("SELECT grid_yaml = '" + std::string(kSmallGrid) + "' FROM batches"), 1);
  EXPECT_EQ(QueryInt("SELECT status = 'done' AND finished_at IS NOT NULL FROM batches"), 1);

  auto status = Run("status --db a.db");
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("small  done"), std::string::npos) << status.out;
  auto one = Run("status small --db a.db");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("batch 1 'small': done, 5/5 done, 0 failed"), std::string::npos)
      << one.out;

  auto csv = Run("results --db a.db --by data.max_len --metrics fwd_ms,peak_mb --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "data.max_len,fwd_ms,fwd_ms_std,fwd_ms_noisy,peak_mb,peak_mb_std,n,failed");
  EXPECT_NE(csv.out.find("\n64,"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find("\n128,"), std::string::npos) << csv.out;

  auto table = Run("results --db a.db --experiment dispatch --metrics seconds");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(" ± "), std::string::npos) << "three seeds give a spread: " << table.out;
  EXPECT_NE(table.out.find("  3"), std::string::npos) << table.out;

  auto query =
      Run("query --db a.db \"SELECT count(*) AS n FROM jobs WHERE status = 'done'\" --format json");
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(query.out, "[\n  {\"n\": 5}\n]\n");
}

// A machine's profile may set OPENBLAS_CORETYPE (this project's VM sets Haswell on a CPU with
// AVX-512): the user's setting is kept, but the log and the batch's record say what it costs.
TEST_F(CliTest, AnOpenblasCoretypeOlderThanTheCpusKernelsIsWarnedOfAndRecorded) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    GTEST_SKIP() << "every OpenBLAS kernel is as old as this CPU's";
  }
  Write("grid.yaml", SleepGrid("pinned", "0", 1));
  auto pinned =
      attnsweep::testing::RunShell("OPENBLAS_CORETYPE=Prescott " + attnsweep::testing::Attnsweep() +
                                       " run grid.yaml --db a.db -q",
                                   dir_);
  if (pinned.exit_code == 0 && QueryInt("SELECT versions LIKE '%openblas%' FROM batches") == 0) {
    GTEST_SKIP() << "LibTorch is not on OpenBLAS here";
  }
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  EXPECT_NE(pinned.err.find("OPENBLAS_CORETYPE=Prescott holds OpenBLAS to its Prescott kernels"),
            std::string::npos)
      << pinned.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE versions LIKE "
                     "'%Prescott, from OPENBLAS_CORETYPE; this CPU runs %'"),
            1);

  auto chosen = attnsweep::testing::RunShell(
      "env -u OPENBLAS_CORETYPE " + attnsweep::testing::Attnsweep() + " run grid.yaml --db b.db -q",
      dir_);
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_EQ(chosen.err.find("OPENBLAS_CORETYPE"), std::string::npos) << chosen.err;
  EXPECT_EQ(
      QueryInt("SELECT count(*) FROM batches WHERE versions LIKE '%OPENBLAS_CORETYPE%'", "b.db"),
      0);
}

TEST_F(CliTest, DeviceIsRecordedAndCudaOnABuildWithoutItIsRefused) {
  Write("grid.yaml", kSmallGrid);
  auto cpu = Run("run grid.yaml --db a.db --device cpu --threads-per-rank 1");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE device = 'cpu'"), 5);
  auto cuda = Run("run grid.yaml --db a.db --device cuda");
  if (ATTNSWEEP_BUILT_WITH_CUDA) {
    if (cuda.exit_code == 0) GTEST_SKIP() << "a CUDA build on a machine with a GPU: gpu_tests";
    // A CUDA build where no GPU is visible: each worker says so and takes no job; the sweep stops
    // with exit 4, its jobs pending for resume (docs/gpu.md).
    EXPECT_EQ(cuda.exit_code, 4) << cuda.err;
    EXPECT_NE(cuda.err.find("--device cuda: no GPU is visible here"), std::string::npos)
        << cuda.err;
    EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'pending'"), 5);
    return;
  }
  // A build without CUDA (Debian's LibTorch): --device cuda stores nothing, exit 2.
  EXPECT_EQ(cuda.exit_code, 2) << cuda.err;
  EXPECT_NE(cuda.err.find("--device cuda: this build of attnsweep has no CUDA"), std::string::npos)
      << cuda.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches"), 1);
  auto resume = Run("resume 1 --db a.db --device cuda");
  EXPECT_EQ(resume.exit_code, 2) << resume.err;
  EXPECT_NE(resume.err.find("has no CUDA"), std::string::npos) << resume.err;
  auto bad = Run("run grid.yaml --db a.db --device gpu");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("gpu"), std::string::npos) << bad.err;
}

TEST_F(CliTest, ADirectoryGivenAsTheGridOrTheStoreIsCalledOne) {
  std::filesystem::create_directories(dir_ + "/grids");
  std::filesystem::create_directories(dir_ + "/stores");
  auto grid = Run("run grids --db a.db");
  EXPECT_EQ(grid.exit_code, 2);
  EXPECT_NE(grid.err.find("'grids' is a directory, not a grid file"), std::string::npos)
      << grid.err;
  Write("grid.yaml", kSmallGrid);
  for (const char* command :
       {"run grid.yaml --db stores", "status --db stores", "resume --db stores"}) {
    auto store = Run(command);
    EXPECT_EQ(store.exit_code, 3) << command;
    EXPECT_NE(store.err.find("'stores' is a directory, not a store"), std::string::npos)
        << command << ": " << store.err;
  }
}

TEST_F(CliTest, AGridWithMillionsOfProblemsShowsTheFirstFiftyAndACount) {
  std::string grid = "experiments:\n  - name: a\n    task: sleep\n    params:\n";
  for (int i = 0; i < 5000; ++i) grid += "      no.such.key" + std::to_string(i) + ": 1\n";
  Write("huge.yaml", grid);
  auto run = Run("run huge.yaml --db a.db");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("... and 4950 more like them, not shown"), std::string::npos)
      << run.err.substr(0, 2000);
  EXPECT_NE(run.err.find("5000 problems in huge.yaml; nothing was run or stored"),
            std::string::npos);
  EXPECT_LT(run.err.size(), 20000u);
}

TEST_F(CliTest, AFullDiskEndsTheSweepWithAMessageAndResumeSaysTheSame) {
  // A 3 MB file system the sweep's results fill (a tmpfs: root only).
  const std::string full = dir_ + "/full";
  std::filesystem::create_directories(full);
  if (testing::RunShell("mount -t tmpfs -o size=3M tmpfs " + full + " 2>&1", dir_).exit_code != 0) {
    GTEST_SKIP() << "cannot mount a small file system here (not root?)";
  }
  Write("fill.yaml", R"(experiments:
  - name: a
    task: fault
    params: {fault.kind: none, fault.seconds: 0}
    grid: {seed: {range: [1, 5000]}}
)");
  auto run = Run("run fill.yaml --db full/a.db --isolation inproc -q");
  auto resume = Run("resume --db full/a.db -q");
  testing::RunShell("umount " + full, dir_);
  for (const auto* result : {&run, &resume}) {
    EXPECT_EQ(result->exit_code, 3) << result->err;
    EXPECT_NE(result->err.find("error: store '" + std::string("full/a.db") + "': cannot run"),
              std::string::npos)
        << result->err;
    EXPECT_NE(result->err.find("database or disk is full: the disk is full"), std::string::npos)
        << result->err;
    EXPECT_EQ(result->err.find("terminate called"), std::string::npos) << result->err;
  }
}

TEST_F(CliTest, AStoreErrorBlamesNoJobThatWasInFlight) {
  // A one-rank inproc sweep that a store error ends: the process did not die, so neither the job
  // whose result the store refused nor the one running may be counted against (rank_died) on
  // resume. The store refuses every result by a trigger, so the error is certain.
  Write("first.yaml", "experiments:\n  - name: first\n    task: sleep\n    grid: {seed: [1]}\n");
  ASSERT_EQ(Run("run first.yaml --db a.db -q").exit_code, 0);
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadWriteCreate);
    db.Exec(
        "CREATE TRIGGER refuse_results BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'done' "
        "BEGIN SELECT RAISE(ABORT, 'the test refuses results'); END");
  }
  Write("second.yaml", SleepGrid("second", "0.3", 4));
  auto run = Run("run second.yaml --db a.db --isolation inproc -q");
  ASSERT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("the test refuses results"), std::string::npos) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2 AND status = 'running'"), 0);
  EXPECT_GE(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'abandoned' AND error LIKE "
                     "'%store error%the test refuses results%'"),
            1);
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadWriteCreate);
    db.Exec("DROP TRIGGER refuse_results");
  }
  auto resume = Run("resume --db a.db -q");
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE batch_id = 2 AND status = 'done'"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome IN ('rank_died', 'lost')"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id WHERE "
                     "j.batch_id = 2 AND a.outcome = 'done'"),
            4);
}

TEST_F(CliTest, InvalidGridExitsTwoWithEveryProblemAndTouchesNoStore) {
  Write("bad.yaml", R"(experiments:
  - name: a
    task: benchmark
    grid:
      model.atention: [softmax]
      data.max_len: [0]
)");
  auto run = Run("run bad.yaml --db a.db");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("bad.yaml:5:7: error: unknown key 'model.atention'; did you mean "
                         "'model.attention'?"),
            std::string::npos)
      << run.err;
  EXPECT_NE(
      run.err.find("bad.yaml:6:22: error: 'data.max_len' must be between 1 and 16777216, got 0"),
      std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("2 problems in bad.yaml; nothing was run or stored"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/a.db"));

  auto missing = Run("run nowhere.yaml --db a.db");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read grid file 'nowhere.yaml'"), std::string::npos);
}

TEST_F(CliTest, DryRunListsJobsAndStoresNothing) {
  Write("grid.yaml", kSmallGrid);
  auto run = Run("run grid.yaml --db a.db --dry-run --format csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 6) << run.out;  // header + 5 jobs
  EXPECT_FALSE(fs::exists(dir_ + "/a.db"));
}

// Hydra-style overrides: an axis set in every experiment whose task reads the key, stored with the
// batch, and the batch's stored jobs are what resume runs.
TEST_F(CliTest, OverridesFromTheCommandLineSetAxesAndResumeRunsThem) {
  Write("grid.yaml", R"(experiments:
  - name: naps
    task: sleep
    params: {sleep: {seconds: 0.05}}
    grid: {seed: [1]}
  - name: speed
    task: benchmark
    params: {data.max_len: 32, model: {d_model: 16, heads: 2},
             bench: {repeats: 1, warmup: 0, max_repeats: 1, backward: false}}
)");
  auto run = Run("run grid.yaml --db a.db sleep.seconds=0.01,0.02 seed=1,2,3,4");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // naps: 2 lengths of sleep × 4 seeds; speed reads seed but not sleep.seconds: 4 seeds.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE experiment = 'naps'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT json_extract(config, '$.sleep.seconds')) FROM jobs "
                     "WHERE experiment = 'naps' AND json_extract(config, '$.sleep.seconds') IN "
                     "(0.01, 0.02)"),
            2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE experiment = 'speed'"), 4);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE overrides = "
                     "'[\"sleep.seconds=0.01,0.02\",\"seed=1,2,3,4\"]'"),
            1);
  auto status = Run("status 1 --db a.db");
  EXPECT_NE(status.out.find("overrides: sleep.seconds=0.01,0.02 seed=1,2,3,4\n"), std::string::npos)
      << status.out;
  // A bracketed list, a range, and a key in params replaced by the axis.
  auto dry =
      Run("run grid.yaml --db a.db --dry-run --format csv 'sleep.seconds=[0.1,0.2]' "
          "'seed={range: [5, 6]}'");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.err.find("naps: 4 jobs, speed: 2 jobs; 6 in all"), std::string::npos) << dry.err;

  // Refused, naming the override, before anything is stored.
  auto refused = [&](const std::string& args, const std::string& says) {
    auto bad = Run("run grid.yaml --db b.db " + args);
    EXPECT_EQ(bad.exit_code, 2) << args;
    EXPECT_NE(bad.err.find(says), std::string::npos) << args << ": " << bad.err;
    EXPECT_FALSE(fs::exists(dir_ + "/b.db")) << args;
  };
  refused("train.lr=0.01", "override 'train.lr=0.01': no experiment of this grid reads train.lr");
  refused("sleep.secs=1", "unknown key 'sleep.secs'; did you mean 'sleep.seconds'?");
  refused("sleep.seconds=fast", "override 'sleep.seconds=fast': 'sleep.seconds' must be");
  refused("sleep.seconds=0.1,,0.2", "empty value between its commas");
  refused("seconds", "'seconds' is not an override");

  // Stopped half way, resumed: the overridden jobs, each once.
  const pid_t pid = testing::StartShell("exec " + testing::Attnsweep() +
                                            " run grid.yaml --db c.db sleep.seconds=0.4 "
                                            "seed=1,2,3,4,5 2>err.txt",
                                        dir_);
  int64_t done = 0;
  for (int i = 0; i < 200 && done < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = QueryIntOr("SELECT count(*) FROM jobs WHERE status = 'done' AND experiment = 'naps'", 0,
                      "c.db");
  }
  ::kill(pid, SIGTERM);
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  ASSERT_EQ(Run("resume --db c.db").exit_code, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done' AND experiment = 'naps' "
                     "AND json_extract(config, '$.sleep.seconds') = 0.4",
                     "c.db"),
            5);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs", "c.db"), 10);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'", "c.db"), 10);
}

// The estimate of a job already run is what it took; what is done is said, and --reuse says
// which batch's result it would take.
TEST_F(CliTest, DryRunEstimatesFromTheStoresHistoryAndSaysWhatIsDone) {
  Write("grid.yaml", SleepGrid("naps", "0.3", 3));
  auto fresh = Run("run grid.yaml --db a.db --dry-run --format csv");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_FALSE(fs::exists(dir_ + "/a.db"));  // read where it exists, never made
  EXPECT_NE(fresh.err.find("from its task's analytic model (no done job"), std::string::npos)
      << fresh.err;
  EXPECT_EQ(fresh.err.find("already have a done result"), std::string::npos) << fresh.err;
  ASSERT_EQ(Run("run grid.yaml --db a.db").exit_code, 0);

  auto again = Run("run grid.yaml --db a.db --dry-run --format csv");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto rows = testing::ParseCsv(again.out);
  ASSERT_EQ(rows.size(), 4u) << again.out;
  EXPECT_EQ(rows[0].back(), "basis");
  Database db = OpenGuardedReadOnly(dir_ + "/a.db");
  const QueryResult took = RunReadOnlyQuery(
      db,
      "SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 FROM jobs ORDER BY id");
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(std::stod(rows[j + 1][rows[j + 1].size() - 2]), std::get<double>(took.rows[j][0]),
                1e-9);
    EXPECT_EQ(rows[j + 1].back(), "same job");
  }
  EXPECT_NE(again.err.find("3 of 3 already have a done result in a.db (batch 1): this run would "
                           "run them again; --reuse would take those results instead"),
            std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("3 learned from the store's 3 done jobs"), std::string::npos)
      << again.err;

  auto reuse = Run("run grid.yaml --db a.db --dry-run --reuse --format csv");
  ASSERT_EQ(reuse.exit_code, 0) << reuse.err;
  EXPECT_EQ(testing::ParseCsv(reuse.out)[1].back(), "batch 1") << reuse.out;
  EXPECT_NE(reuse.err.find("--reuse: 3 of 3 would take a done result already in a.db (batch 1); "
                           "0 to run"),
            std::string::npos)
      << reuse.err;
  EXPECT_NE(reuse.err.find("estimated cost: 0:00:00 of work"), std::string::npos) << reuse.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches"), 1);  // dry runs stored nothing

  // A run that runs them again says so.
  auto rerun = Run("run grid.yaml --db a.db");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("3 of 3 jobs already have a done result in a.db: they run again "
                           "(`attnsweep run grid.yaml --reuse` takes those results instead)"),
            std::string::npos)
      << rerun.err;
}

TEST_F(CliTest, DryRunTableHasAColumnPerKeyThatVaries) {
  Write("grid.yaml", R"(experiments:
  - name: speed
    task: benchmark
    grid:
      data.max_len: {geom: [64, 128, 2]}
      bench.batch_size: [2, 4]
  - name: seeds
    task: benchmark
    params: {data.max_len: 64, bench.batch_size: 2}
    grid: {seed: {range: [2, 3]}}
)");
  auto run = Run("run grid.yaml --dry-run --format csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = testing::ParseCsv(run.out);
  ASSERT_EQ(lines.size(), 7u) << run.out;  // header + 6 jobs
  // Everything else (model, task, bench.repeats...) is the same in every job, so it is left out.
  EXPECT_EQ(lines[0], (std::vector<std::string>{"experiment", "job", "bench.batch_size",
                                                "data.max_len", "seed", "est_s", "basis"}));
  // experiment, batch size, length, seed, in the order the grid expands.
  const std::vector<std::vector<std::string>> expected = {
      {"speed", "2", "64", "1"},  {"speed", "4", "64", "1"}, {"speed", "2", "128", "1"},
      {"speed", "4", "128", "1"}, {"seeds", "2", "64", "2"}, {"seeds", "2", "64", "3"}};
  std::set<std::string> job_keys;
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& row = lines[i + 1];
    ASSERT_EQ(row.size(), 7u) << run.out;
    EXPECT_EQ((std::vector<std::string>{row[0], row[2], row[3], row[4]}), expected[i]) << run.out;
    EXPECT_GT(std::stod(row[5]), 0) << run.out;
    EXPECT_EQ(row[6], "analytic") << run.out;
    EXPECT_EQ(row[1].size(), 12u) << row[1];
    EXPECT_EQ(row[1].find_first_not_of("0123456789abcdef"), std::string::npos) << row[1];
    job_keys.insert(row[1]);
  }
  EXPECT_EQ(job_keys.size(), 6u) << run.out;
  EXPECT_NE(run.err.find("speed: 4 jobs, seeds: 2 jobs; 6 in all"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir_ + "/attnsweep.db")) << "the dry run created the default store";
}

TEST_F(CliTest, OutOfMemoryJobIsAStoredResultAndExitIsOne) {
  // Exact attention at L = 2^20 needs a 16 TiB score matrix: a real allocation failure, at once.
  Write("oom.yaml", R"(experiments:
  - name: huge
    task: benchmark
    params: {bench: {batch_size: 1, warmup: 0, repeats: 1, backward: false}}
    grid: {data.max_len: [128, 1048576]}
)");
  auto run = RunShell("ulimit -v 8000000; " + Attnsweep() + " run oom.yaml --db a.db", dir_);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_kind = 'oom' "
                     "AND error LIKE '%can''t allocate memory%'"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 1);
  EXPECT_EQ(QueryInt("SELECT status = 'failed' FROM batches"), 1);
  auto results = Run("results --db a.db --by data.max_len --metrics fwd_ms");
  EXPECT_NE(results.out.find("1048576  OOM"), std::string::npos) << results.out;
  // Retrying as it is would only fail again: the summary says so, and what would change it.
  EXPECT_NE(run.err.find("1 failed: 1 oom; they would fail again as they are (1 oom unless it "
                         "gets more memory (a larger --job-memory) or is made smaller (in a new "
                         "batch)); `attnsweep resume 1 --retry-failed --db a.db` runs the failed "
                         "jobs again as stored"),
            std::string::npos)
      << run.err;
}

TEST_F(CliTest, ASignalBeforeTheSweepEndsTheCommandAtOnceStoringNothing) {
  // Preparing two million synthetic customers takes minutes and polls for no signal: SIGTERM (from
  // timeout, Slurm or systemd) must still end it, with 130, before anything is stored.
  Write("big.yaml",
        "experiments:\n  - name: t\n    task: train\n    params: {data.customers: 2000000}\n");
  const pid_t pid = testing::StartShell(
      "exec " + testing::Attnsweep() + " run big.yaml --db a.db 2>err.txt", dir_);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto sent = std::chrono::steady_clock::now();
  ::kill(pid, SIGTERM);
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count(), 2.0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db"));
  EXPECT_NE(testing::ReadFileText(dir_ + "/err.txt").find("interrupted; nothing was stored"),
            std::string::npos);
}

TEST_F(CliTest, SighupStopsASweepAsSigtermDoes) {
  // A terminal closing under a one-process run: the job in flight is interrupted, not charged.
  const auto [pid, done] = StartSlowSweepAndWait(2, "err.txt");
  ASSERT_GE(done, 2);
  ::kill(pid, SIGHUP);
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'interrupted'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'rank_died'"), 0);
  EXPECT_EQ(QueryInt("SELECT status = 'interrupted' FROM batches"), 1);
}

TEST_F(CliTest, RmOfABatchALiveCoordinatorHoldsIsAStoreErrorAndDeletesNothing) {
  const auto [pid, done] = StartSlowSweepAndWait(1, "err.txt");
  ASSERT_GE(done, 1);
  auto rm = Run("rm 1 --db a.db");
  EXPECT_EQ(rm.exit_code, 3) << rm.err;
  EXPECT_NE(rm.err.find("batch 1 is running"), std::string::npos) << rm.err;
  ::kill(pid, SIGINT);
  EXPECT_EQ(testing::WaitExitCode(pid), 130);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs"), 8);
}

TEST_F(CliTest, InterruptMarksTheJobInFlightAndKeepsWhatIsDone) {
  const auto [pid, done] = StartSlowSweepAndWait(2, "err.txt");
  ASSERT_GE(done, 2);
  const auto sent = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count(), 1.0);

  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  const int64_t done_after = QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'");
  EXPECT_GE(done_after, done);
  EXPECT_LT(done_after, 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'pending'"), 8 - done_after);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'interrupted'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), done_after);
  EXPECT_EQ(QueryInt("SELECT status = 'interrupted' FROM batches"), 1);
  EXPECT_NE(testing::ReadFileText(dir_ + "/err.txt").find("interrupted"), std::string::npos);
  // The interrupted attempt's output is in the job's log like any attempt's.
  const int64_t interrupted = QueryInt("SELECT job_id FROM attempts WHERE outcome = 'interrupted'");
  auto logs = Run("logs " + std::to_string(interrupted) + " --db a.db");
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("=== attempt 1"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("--- interrupted"), std::string::npos) << logs.out;
}

TEST_F(CliTest, KillNineLosesNoCommittedResult) {
  const auto [pid, done] = StartSlowSweepAndWait(3, "/dev/null");
  ASSERT_GE(done, 3);
  ::kill(pid, SIGKILL);
  EXPECT_EQ(testing::WaitExitCode(pid), 128 + SIGKILL);
  // Every result committed before the kill is there, whole: job done <=> its metric and attempt
  // exist.
  Database d = OpenGuardedReadOnly(dir_ + "/a.db");
  EXPECT_EQ(std::get<std::string>(RunReadOnlyQuery(d, "PRAGMA quick_check").rows.at(0).at(0)),
            "ok");
  const int64_t after = QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'");
  EXPECT_GE(after, done);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), after);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'done'"), after);
  // Nothing could mark the job in flight: it stays `running` until a resume takes the batch over.
  EXPECT_LE(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 1);
}

TEST_F(CliTest, QueryRefusesWritesWithExitTwo) {
  Write("grid.yaml", "experiments: [{name: a, task: sleep, params: {sleep.seconds: 0}}]\n");
  ASSERT_EQ(Run("run grid.yaml --db a.db -q").exit_code, 0);
  for (const char* sql : {"DELETE FROM jobs", "WITH x AS (SELECT 1) DELETE FROM jobs",
                          "ATTACH DATABASE 'b.db' AS b", "PRAGMA user_version = 9"}) {
    auto query = Run(std::string("query --db a.db \"") + sql + "\"");
    EXPECT_EQ(query.exit_code, 2) << sql;
    EXPECT_NE(query.err.find("error: query refused: attnsweep query is read-only"),
              std::string::npos)
        << sql << ": " << query.err;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs"), 1);
  EXPECT_FALSE(fs::exists(dir_ + "/b.db"));
}

TEST_F(CliTest, StoreErrorsExitThree) {
  for (const char* command : {"status", "results", "resume", "stop", "query 'SELECT 1'"}) {
    auto missing = Run(std::string(command) + " --db nothere.db");
    EXPECT_EQ(missing.exit_code, 3) << command;
    EXPECT_NE(missing.err.find("error: no store at 'nothere.db'"), std::string::npos)
        << command << ": " << missing.err;
    EXPECT_FALSE(fs::exists(dir_ + "/nothere.db")) << command << " created the store";
  }

  const std::string junk =
      "not a database, only words. not a database, only words. 0123456789abcdef";
  Write("junk.db", junk);
  Write("grid.yaml", "experiments: [{name: a, task: sleep}]\n");
  auto run = Run("run grid.yaml --db junk.db");
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_NE(run.err.find("not an attnsweep store"), std::string::npos) << run.err;
  EXPECT_EQ(testing::ReadFileText(dir_ + "/junk.db"), junk) << "the file was changed";
}

TEST_F(CliTest, ReadOnlyStoreExitsThreeAndKeepsItsData) {
  Write("grid.yaml", "experiments: [{name: a, task: sleep, params: {sleep.seconds: 0}}]\n");
  ASSERT_EQ(Run("run grid.yaml --db a.db -q").exit_code, 0);
  fs::permissions(dir_ + "/a.db",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  // File modes do not bind root: run as nobody then, as a user on a read-only share would be.
  const std::string as_user =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  auto run = RunShell(as_user + Attnsweep() + " run grid.yaml --db a.db 2>&1", dir_);
  EXPECT_EQ(run.exit_code, 3) << run.out;
  EXPECT_NE(run.out.find("store 'a.db' is read-only"), std::string::npos) << run.out;
  // Reading it still works.
  auto status = RunShell(as_user + Attnsweep() + " status --db a.db", dir_);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 1);
}

TEST_F(CliTest, UnknownBatchAndBadOptionsExitTwo) {
  Write("grid.yaml", "experiments: [{name: a, task: sleep, params: {sleep.seconds: 0}}]\n");
  ASSERT_EQ(Run("run grid.yaml --db a.db -q").exit_code, 0);
  auto batch = Run("results nosuch --db a.db");
  EXPECT_EQ(batch.exit_code, 2);
  EXPECT_NE(batch.err.find("no batch 'nosuch'"), std::string::npos);
  EXPECT_EQ(Run("results --db a.db --format xml").exit_code, 2);
  auto by = Run("results --db a.db --by model.atention");
  EXPECT_EQ(by.exit_code, 2);
  EXPECT_NE(by.err.find("did you mean 'model.attention'?"), std::string::npos) << by.err;
  auto metric = Run("results --db a.db --metrics nope");
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_NE(metric.err.find("(they have: node_jobs, seconds)"), std::string::npos) << metric.err;
  EXPECT_EQ(Run("frobnicate").exit_code, 2);
}

TEST_F(CliTest, ProgressLinesNameTheKeysThatTellJobsApart) {
  Write("two.yaml", R"(experiments:
  - name: naps
    task: sleep
    grid: {sleep.seconds: [0.01, 0.02], seed: [1, 2]}
)");
  auto run = Run("run two.yaml --db a.db");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* label : {"[sleep, seconds=0.01, seed=1]", "[sleep, seconds=0.01, seed=2]",
                            "[sleep, seconds=0.02, seed=1]", "[sleep, seconds=0.02, seed=2]"}) {
    EXPECT_NE(run.err.find(label), std::string::npos) << label << "\n" << run.err;
  }
}

// Two small train jobs, one in a job process (frames over its pipe) and one in the worker's thread:
// each reports its epochs as it goes, and the last report stays with the done job, where `jobs`
// shows it.
TEST_F(CliTest, TrainJobsKeepTheirLastEpochAndValidationFigure) {
  Write("t.yaml", R"(defaults:
  data: {customers: 400, max_len: 32, signal: 3}
  model: {attention: bag, d_model: 8, heads: 2, layers: 1, ff_dim: 16}
  train: {epochs: 3, batch_size: 32, patience: 0}
experiments:
  - name: apart
    task: train
  - name: inside
    task: train
    params: {seed: 2}
    limits: {isolation: inproc}
)");
  auto run = Run("run t.yaml --db a.db");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT isolation) FROM jobs"), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE json_extract(progress, '$.epoch') = 3 AND "
                     "json_extract(progress, '$.epochs') = 3 AND "
                     "json_extract(progress, '$.metric') = 'val_auc' AND "
                     "json_extract(progress, '$.at') > started_at"),
            2);
  // Its value is the last point of the curve it names.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs j JOIN curves c ON c.job_id = j.id AND "
                     "c.name = 'val_auc' AND c.step = 3 WHERE "
                     "abs(json_extract(j.progress, '$.value') - c.value) < 1e-9"),
            2);
  auto jobs = Run("jobs --db a.db --format json");
  ASSERT_EQ(jobs.exit_code, 0) << jobs.err;
  const auto rows = nlohmann::json::parse(jobs.out);
  ASSERT_EQ(rows.size(), 2u) << jobs.out;
  for (const auto& row : rows) {
    EXPECT_EQ(row["progress"].get<std::string>().rfind("epoch 3/3, val_auc 0.", 0), 0u) << row;
  }
}

TEST_F(CliTest, ADamagedStoreIsRefusedBeforeAnyWriteAndCheckFindsIt) {
  Write("naps.yaml", SleepGrid("naps", "0", 40));
  ASSERT_EQ(Run("run naps.yaml --db a.db -q").exit_code, 0);
  const auto intact = Run("check --db a.db");
  EXPECT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_NE(intact.out.find("is intact"), std::string::npos) << intact.out;
  // Random bytes over the root page of the jobs' key index (the store was checkpointed into its
  // file when its last connection closed).
  int64_t page = 0, page_size = 0;
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadOnly);
    Statement root(db, "SELECT rootpage FROM sqlite_master WHERE name = 'jobs_by_key'");
    ASSERT_TRUE(root.Step());
    page = root.Int(0);
    Statement size(db, "PRAGMA page_size");
    ASSERT_TRUE(size.Step());
    page_size = size.Int(0);
  }
  {
    std::fstream file(dir_ + "/a.db", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((page - 1) * page_size);
    std::string noise(static_cast<size_t>(page_size), '\0');
    uint32_t state = 12345;
    for (char& c : noise) c = static_cast<char>((state = state * 1103515245u + 12345u) >> 24);
    file.write(noise.data(), static_cast<std::streamsize>(noise.size()));
  }
  const std::string damaged = attnsweep::testing::ReadFileText(dir_ + "/a.db");
  for (const char* writer : {"run naps.yaml --db a.db -q", "resume --db a.db -q", "rm 1 --db a.db",
                             "tag 1 x --db a.db", "stop --db a.db"}) {
    const auto refused = Run(writer);
    EXPECT_EQ(refused.exit_code, 3) << writer << ": " << refused.err;
    EXPECT_NE(refused.err.find("store 'a.db' is damaged ("), std::string::npos)
        << writer << ": " << refused.err;
    EXPECT_NE(refused.err.find("nothing was written to it; recover what it holds with `sqlite3 "
                               "a.db .recover | sqlite3 recovered.db`"),
              std::string::npos)
        << writer << ": " << refused.err;
    EXPECT_TRUE(attnsweep::testing::ReadFileText(dir_ + "/a.db") == damaged)
        << writer << " wrote into it";
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db-wal") &&
                 std::filesystem::file_size(dir_ + "/a.db-wal") > 0)
        << writer << " wrote into its WAL";
  }
  const auto check = Run("check --db a.db");
  EXPECT_EQ(check.exit_code, 3) << check.err;
  EXPECT_FALSE(check.out.empty());
  EXPECT_NE(check.err.find(".recover"), std::string::npos) << check.err;
}

TEST_F(CliTest, ControlCharactersInStoredNamesReachNoTerminal) {
  // Names a grid can no longer hold, as a store written before (or by hand) may: an ESC sequence
  // that would set the terminal's title, and a line feed that would split a row.
  Write("naps.yaml", SleepGrid("naps", "0", 2));
  ASSERT_EQ(Run("run naps.yaml --db a.db -q").exit_code, 0);
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadWriteCreate);
    db.Exec(
        "UPDATE batches SET name = 'evil' || char(27) || ']0;pwned' || char(7) || 'x', "
        "description = 'two' || char(10) || 'lines' || char(27) || '[2J', "
        "tags = json_array('t' || char(27) || '[K'), status = 'interrupted'; "
        "UPDATE jobs SET experiment = 'exp' || char(10) || '| fake | row |', "
        "status = 'pending' WHERE id = 2");
  }
  for (const char* command : {"status --db a.db", "status --db a.db --format markdown",
                              "jobs --db a.db", "jobs --db a.db --format markdown",
                              "results --db a.db", "tag 1 ok --db a.db", "resume --db a.db"}) {
    const auto shown = Run(command);
    EXPECT_EQ(shown.exit_code, 0) << command << ": " << shown.err;
    const std::string both = shown.out + shown.err;
    EXPECT_EQ(both.find('\x1b'), std::string::npos) << command << ":\n" << both;
    EXPECT_EQ(both.find('\x07'), std::string::npos) << command << ":\n" << both;
    EXPECT_EQ(both.find("exp\n"), std::string::npos) << command << ":\n" << both;
  }
  const auto status = Run("status 1 --db a.db");
  EXPECT_NE(status.out.find("batch 1 'evil\\e]0;pwned\\x07x'"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("two\nlines\\e[2J"), std::string::npos) << status.out;
  const auto jobs = Run("jobs --db a.db --format markdown");
  EXPECT_NE(jobs.out.find("exp\\n\\| fake \\| row \\|"), std::string::npos) << jobs.out;
  // Machine formats keep the text as stored, escaped their own way.
  const auto json = Run("jobs --db a.db --format json");
  EXPECT_NE(json.out.find("exp\\n| fake | row |"), std::string::npos) << json.out;
}

TEST_F(CliTest, TheStoreComesFromTheEnvironmentAndAnUnnamedOneIsSaid) {
  Write("naps.yaml", SleepGrid("naps", "0", 2));
  ASSERT_EQ(
      testing::RunShell("ATTNSWEEP_DB=s.db " + testing::Attnsweep() + " run naps.yaml -q", dir_)
          .exit_code,
      0);
  EXPECT_TRUE(fs::exists(dir_ + "/s.db"));
  EXPECT_FALSE(fs::exists(dir_ + "/attnsweep.db"));
  const auto named =
      testing::RunShell("ATTNSWEEP_DB=s.db " + testing::Attnsweep() + " status --format csv", dir_);
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find("naps,done"), std::string::npos) << named.out;
  EXPECT_EQ(named.err.find("note:"), std::string::npos) << named.err;
  // Neither --db nor ATTNSWEEP_DB: the default, said.
  const auto unnamed =
      testing::RunShell("env -u ATTNSWEEP_DB " + testing::Attnsweep() + " status", dir_);
  EXPECT_NE(unnamed.err.find("note: store 'attnsweep.db' (no --db given; --db or $ATTNSWEEP_DB "
                             "names another)"),
            std::string::npos)
      << unnamed.err;
  // A second batch: commands that read the newest only say so.
  ASSERT_EQ(Run("run naps.yaml --db s.db -q --reuse").exit_code, 0);
  const auto newest = Run("export --db s.db -o out.csv");
  EXPECT_EQ(newest.exit_code, 0) << newest.err;
  EXPECT_NE(newest.err.find("note: the newest batch only (2 of 2): name batches (ids or names) or "
                            "pass --all for every one"),
            std::string::npos)
      << newest.err;
  EXPECT_EQ(Run("export --db s.db --all -o all.csv").err.find("newest batch only"),
            std::string::npos);
}

TEST_F(CliTest, HelpOnEveryCommand) {
  const std::vector<std::string> commands = {
      "",     "run",    "resume", "stop",          "status",       "results",    "query",
      "keys", "logs",   "data",   "data generate", "data prepare", "data stats", "report",
      "jobs", "export", "curves", "tag",           "rm",           "check"};
  // All at once (each start loads LibTorch): one shell, one output file and exit code per command.
  std::string script;
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string n = std::to_string(i);
    script += "(" + Attnsweep() + " " + commands[i] + " --help > help" + n +
              ".txt 2>&1; echo $? > help" + n + ".rc) & ";
  }
  ASSERT_EQ(RunShell(script + "wait", dir_).exit_code, 0);
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(testing::ReadFileText(dir_ + "/help" + n + ".rc"), "0\n") << commands[i];
    const std::string help = testing::ReadFileText(dir_ + "/help" + n + ".txt");
    EXPECT_NE(help.find("Usage:"), std::string::npos) << commands[i] << ": " << help;
  }
  auto keys = Run("keys --format csv");
  EXPECT_NE(keys.out.find("model.attention,string,softmax,\"softmax, softmax_chunked, performer, "
                          "linformer, infinity, gru, bag, aggregates\","),
            std::string::npos)
      << keys.out;
  // A task's name filters by task; anything else is part of a key, or a glob.
  auto performer = Run("keys performer --format csv");
  EXPECT_EQ(performer.exit_code, 0);
  EXPECT_NE(performer.out.find("model.performer.features,"), std::string::npos);
  EXPECT_EQ(performer.out.find("model.linformer.k,"), std::string::npos);
  auto glob = Run("keys 'model.*.k' --format csv");
  EXPECT_NE(glob.out.find("model.linformer.k,"), std::string::npos) << glob.out;
  EXPECT_EQ(glob.out.find("model.performer.features,"), std::string::npos) << glob.out;
  auto none = Run("keys model.perfromer.features");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("did you mean 'model.performer.features'"), std::string::npos)
      << none.err;
}

}  // namespace
}  // namespace attnsweep
