// Jobs that throw, segfault, abort, overrun their timeout, allocate past their memory cap or
// produce NaN, all in one batch under mpirun with two workers: each becomes an outcome of its kind,
// the rest of the sweep is done, and no worker rank dies.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/cli_test_fixture.h"
#include "tests/test_process.h"

namespace attnsweep {
namespace {

const char* kFaultGrid = R"(name: faults
experiments:
  - name: fine
    task: fault
    params: {fault.kind: none, fault.seconds: 0.05}
    grid: {seed: [1, 2, 3]}
  - name: broken
    task: fault
    limits: {timeout: 2s, memory: 256M, max_attempts: 2}
    params: {fault.seconds: 30, fault.gigabytes: 1}
    grid:
      fault.kind: [throw, segfault, abort, sleep, allocate, nan]
)";

std::string Mpirun3() { return std::string(ATTNSWEEP_SOURCE_DIR) + "/scripts/mpirun.sh -np 3 "; }

class IsolationTest : public CliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(IsolationTest, EveryFailureIsAnOutcomeAndTheSweepFinishes) {
  const std::string isolation = GetParam();
  Write("faults.yaml", kFaultGrid);
  auto run = testing::RunShell(Mpirun3() + testing::Attnsweep() + " run faults.yaml --db a.db " +
                                   "--isolation " + isolation + " 2>&1",
                               dir_);
  // 1: the sweep ran to its end with failed jobs; a dead rank would have made mpirun fail instead.
  EXPECT_EQ(run.exit_code, 1) << run.out;
  EXPECT_EQ(run.out.find("exited on signal"), std::string::npos) << run.out;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE experiment = 'fine' AND status = 'done'"), 3);

  auto kind_of = [&](const char* fault) {
    return "SELECT error_kind || '/' || attempts FROM jobs WHERE json_extract(config, "
           "'$.fault.kind') = '" +
           std::string(fault) + "'";
  };
  auto text = [&](const std::string& sql) {
    Database d = OpenGuardedReadOnly(dir_ + "/a.db");
    return std::get<std::string>(RunReadOnlyQuery(d, sql).rows.at(0).at(0));
  };
  // error, oom, diverged: not retried. crash and timeout: retried up to max_attempts (2).
  EXPECT_EQ(text(kind_of("throw")), "error/1");
  EXPECT_EQ(text(kind_of("segfault")), "crash/2");
  EXPECT_EQ(text(kind_of("abort")), "crash/2");
  EXPECT_EQ(text(kind_of("sleep")), "timeout/2");
  EXPECT_EQ(text(kind_of("allocate")), "oom/1");
  EXPECT_EQ(text(kind_of("nan")), "diverged/1");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts"), 3 + 6 + 3);
  EXPECT_NE(text("SELECT error FROM jobs WHERE json_extract(config, '$.fault.kind') = 'segfault'")
                .find("killed by SIGSEGV"),
            std::string::npos);
  EXPECT_NE(text("SELECT error FROM jobs WHERE json_extract(config, '$.fault.kind') = 'abort'")
                .find("killed by SIGABRT"),
            std::string::npos);
  // Past its cap the job is killed: by the kernel, where its memory cgroup holds it to the cap,
  // else by its worker, which watches its resident memory.
  const std::string over_cap =
      text("SELECT error FROM jobs WHERE json_extract(config, '$.fault.kind') = 'allocate'");
  EXPECT_TRUE(over_cap.find("by the kernel's OOM killer (its memory cgroup says so; the job's "
                            "cap is 256M)") != std::string::npos ||
              over_cap.find("passed the job's cap of 256M: killed") != std::string::npos)
      << over_cap;
  // The job's own output comes with its error, and is kept beside the store.
  EXPECT_NE(text("SELECT error FROM jobs WHERE json_extract(config, '$.fault.kind') = 'throw'")
                .find("last lines of the job's output"),
            std::string::npos);
  const int64_t segfault_job =
      QueryInt("SELECT id FROM jobs WHERE json_extract(config, '$.fault.kind') = 'segfault'");
  auto logs = Run("logs " + std::to_string(segfault_job) + " --db a.db");
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("=== attempt 1 on rank"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("=== attempt 2 on rank"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("\"kind\":\"segfault\""), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("--- crash: the job process was killed by SIGSEGV"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Modes, IsolationTest, ::testing::Values("process", "host"));

TEST_F(CliTest, HostIsolationKeepsOneJobProcessForJobAfterJob) {
  Write("fine.yaml", R"(experiments:
  - name: fine
    task: fault
    params: {fault.kind: none, fault.seconds: 0}
    grid: {seed: [1, 2, 3, 4]}
)");
  // The pids of the job processes that ran jobs 1 to 4, from their logs.
  auto job_pids = [&](const std::string& db) {
    std::set<std::string> pids;
    for (int job = 1; job <= 4; ++job) {
      const std::string log = Run("logs " + std::to_string(job) + " --db " + db).out;
      const size_t at = log.find(", pid ");
      EXPECT_NE(at, std::string::npos) << log;
      if (at != std::string::npos) pids.insert(log.substr(at + 6, log.find(']', at) - at - 6));
    }
    return pids;
  };
  ASSERT_EQ(Run("run fine.yaml --db a.db --isolation host -q").exit_code, 0);
  EXPECT_EQ(job_pids("a.db").size(), 1u) << "one process served the four jobs";
  ASSERT_EQ(Run("run fine.yaml --db b.db --isolation process -q").exit_code, 0);
  const auto fresh = job_pids("b.db");
  EXPECT_EQ(fresh.size(), 4u) << "a process per job";
}

TEST_F(CliTest, LogsOfAnUnknownJobOrAnInprocJob) {
  Write("s.yaml", "experiments: [{name: a, task: sleep, params: {sleep.seconds: 0}}]\n");
  ASSERT_EQ(Run("run s.yaml --db a.db -q").exit_code, 0);
  auto none = Run("logs 99 --db a.db");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no job 99"), std::string::npos) << none.err;
  auto inproc = Run("logs 1 --db a.db");
  EXPECT_EQ(inproc.exit_code, 0);
  EXPECT_NE(inproc.out.find("no output captured: the job ran in the worker's own thread"),
            std::string::npos)
      << inproc.out;
}

// The job process of a one-rank sweep under `main`: the grandchild (main, its launcher, the job).
pid_t JobProcessUnder(pid_t main) {
  auto parent_of = [](pid_t pid) -> pid_t {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = -1;
    rest >> state >> ppid;
    return ppid;
  };
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    const pid_t parent = parent_of(pid);
    if (parent > 0 && parent != main && parent_of(parent) == main) return pid;
  }
  return -1;
}

TEST_F(CliTest, AJobProcessKilledFromOutsideIsKilledNotOomAndRunsAgain) {
  // As a user's kill -9 or a cluster's watchdog would: not the job's fault, and not an OOM kill.
  Write("slow.yaml", R"(experiments:
  - name: slow
    task: fault
    params: {fault.kind: sleep, fault.seconds: 3}
)");
  const pid_t main = testing::StartShell(
      "exec " + testing::Attnsweep() + " run slow.yaml --db a.db --isolation process 2>err.txt",
      dir_);
  pid_t job = -1;
  for (int i = 0; i < 200 && job < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (QueryIntOr("SELECT count(*) FROM jobs WHERE status = 'running'", 0) == 1) {
      job = JobProcessUnder(main);
    }
  }
  ASSERT_GT(job, 0) << "no job process found";
  ASSERT_EQ(::kill(job, SIGKILL), 0);
  EXPECT_EQ(testing::WaitExitCode(main), 0) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE attempt = 1 AND outcome = 'killed' AND "
                     "error LIKE '%from outside attnsweep%'"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE attempt = 2 AND outcome = 'done'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 1);
}

// A grid of one fault job that allocates `gigabytes` GB, under `limits` (a flow mapping's entries).
std::string HogGrid(const std::string& limits, int gigabytes) {
  return "experiments:\n  - name: hog\n    task: fault\n    limits: {" + limits +
         "}\n    params: {fault.kind: allocate, fault.gigabytes: " + std::to_string(gigabytes) +
         "}\n";
}

// The query counting the jobs that ended oom with an error LIKE `pattern` (SQL-quoted already).
std::string OomJobsWhoseErrorIsLike(const std::string& pattern) {
  return "SELECT count(*) FROM jobs WHERE error_kind = 'oom' AND error LIKE '" + pattern + "'";
}

TEST_F(CliTest, AnUncappedJobTheOomKillerKillsIsOomByTheKernelLog) {
  // An uncapped job has no memory cgroup of its own: an OOM kill is told from the kernel log. The
  // whole sweep runs in a cgroup of the test's, held to 900M, so the kernel's OOM killer kills the
  // job (oom_score_adj 1000) as it allocates 2 GB, and logs it.
  Write("hog.yaml", HogGrid("max_attempts: 1", 2));
  Write("in_cgroup.sh", R"(v1=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
if [ -n "$v1" ]; then base=/sys/fs/cgroup/memory$v1; limit=memory.limit_in_bytes
else base=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup); limit=memory.max; fi
cg=$base/attnsweep-oom-test-$$
mkdir "$cg" 2> /dev/null || exit 77
echo "$cg" > cgroup.txt
echo 900M > "$cg/$limit" || exit 77
[ ! -f "$cg/memory.swap.max" ] || echo 0 > "$cg/memory.swap.max"
echo $$ > "$cg/cgroup.procs" || exit 77
exec "$@"
)");
  auto run = testing::RunShell("timeout 60 sh in_cgroup.sh " + testing::Attnsweep() +
                                   " run hog.yaml --db a.db --isolation process",
                               dir_);
  testing::RunShell("rmdir \"$(cat cgroup.txt)\"", dir_);
  if (run.exit_code == 77) GTEST_SKIP() << "cannot make a memory cgroup here (not root?)";
  if (::access("/dev/kmsg", R_OK) != 0) GTEST_SKIP() << "the kernel log is not readable here";
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(
      QueryInt(OomJobsWhoseErrorIsLike("%by the kernel''s OOM killer (the kernel log says so)%")),
      1)
      << run.err;
}

TEST_F(CliTest, WithoutACgroupTheWorkerHoldsAJobToItsCap) {
  Write("hog.yaml", HogGrid("memory: 256M, max_attempts: 1", 1));
  auto run = testing::RunShell("ATTNSWEEP_JOB_CGROUPS=0 timeout 60 " + testing::Attnsweep() +
                                   " run hog.yaml --db a.db --isolation process",
                               dir_);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(QueryInt(OomJobsWhoseErrorIsLike(
                "its resident memory, %, passed the job''s cap of 256M: killed%")),
            1)
      << run.err;
}

TEST_F(CliTest, AJobMemoryCapOfTheDocsRunsSmallJobsAndStopsBigOnesWithoutHanging) {
  // --job-memory 512M, the docs' example, hung every benchmark job when it capped the address
  // space. Now a small benchmark runs, and one needing gigabytes (softmax at L 8192: 4 GiB of
  // weights) ends as oom.
  Write("cap.yaml", R"(experiments:
  - name: speed
    task: benchmark
    params: {bench: {batch_size: 4, warmup: 0, repeats: 1, backward: false}, model.heads: 4}
    grid: {data.max_len: [64, 8192]}
)");
  auto run = testing::RunShell("timeout 120 " + testing::Attnsweep() +
                                   " run cap.yaml --db a.db --job-memory 512M --isolation process",
                               dir_);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done' AND "
                     "json_extract(config, '$.data.max_len') = 64"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_kind = 'oom' "
                     "AND json_extract(config, '$.data.max_len') = 8192"),
            1)
      << run.err;
}

TEST_F(CliTest, BadLimitsAreGridErrors) {
  Write("bad.yaml", R"(experiments:
  - name: a
    task: fault
    limits: {timeout: soon, memory: lots, isolation: docker, max_attempts: 0, retries: 3}
)");
  auto run = Run("run bad.yaml --db a.db");
  EXPECT_EQ(run.exit_code, 2);
  for (const char* message :
       {"bad.yaml:4:23: error: 'limits.timeout': 'soon' is not a duration such as 90s, 30m or 2h",
        "bad.yaml:4:37: error: 'limits.memory': 'lots' is not a size such as 512M or 16G",
        "bad.yaml:4:54: error: 'limits.isolation' must be process, host, inproc or auto",
        "bad.yaml:4:76: error: 'limits.max_attempts' must be an integer from 1 to 100",
        "bad.yaml:4:79: error: unknown limit 'retries'"}) {
    EXPECT_NE(run.err.find(message), std::string::npos) << message << "\n" << run.err;
  }
  auto option = Run("run bad.yaml --db a.db --job-timeout soon");
  EXPECT_EQ(option.exit_code, 2);
  // A cap no job could live under is refused before anything runs, and so is a cap of 0.
  Write("fine.yaml", "experiments:\n  - name: a\n    task: fault\n");
  for (const char* cap : {"1K", "0", "64M"}) {
    auto small = Run(std::string("run fine.yaml --db b.db --job-memory ") + cap);
    EXPECT_EQ(small.exit_code, 2) << cap;
    EXPECT_NE(small.err.find("is too small for any job"), std::string::npos) << small.err;
    EXPECT_NE(small.err.find("at least 128M"), std::string::npos) << small.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/b.db"));
}

TEST_F(CliTest, JobProcessesRunTheWorkersOwnBuildEvenAfterTheFileIsGone) {
  // A sweep started from a copy of the build (attnsweep and the engine it hands run to,
  // libexec/attnsweep); the copy is deleted while the sweep runs (as a rebuild replaces it): the
  // remaining jobs still start, from the build the worker runs.
  const std::filesystem::path binary = ATTNSWEEP_BINARY;
  std::filesystem::create_directories(dir_ + "/copy/libexec");
  std::filesystem::copy_file(binary, dir_ + "/copy/attnsweep");
  std::filesystem::copy_file(binary.parent_path() / "libexec" / "attnsweep",
                             dir_ + "/copy/libexec/attnsweep");
  Write("six.yaml", SleepGrid("s", "0.2", 6));
  const pid_t pid = attnsweep::testing::StartShell(
      "exec ./copy/attnsweep run six.yaml --db a.db --isolation process 2>run.err", dir_);
  ASSERT_GE(WaitForDoneJobs(1, 400, std::chrono::milliseconds(25)), 1);
  std::filesystem::remove_all(dir_ + "/copy");
  EXPECT_EQ(attnsweep::testing::WaitExitCode(pid), 0)
      << attnsweep::testing::ReadFileText(dir_ + "/run.err");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 6);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome != 'done'"), 0);
}

TEST_F(CliTest, AutoIsolationGivesAJobHeldToATimeLimitAProcess) {
  // A sleep job runs in a thread under `auto`, where no deadline could stop it: held to a time
  // limit (here by --job-timeout) it gets a process, and the limit holds.
  Write("nap.yaml", SleepGrid("nap", "5", 1));
  auto run = Run("run nap.yaml --db a.db --job-timeout 1s --max-attempts 1 -q");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'timeout'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE isolation = 'process'"), 1);
  // Without a limit it keeps its thread.
  Write("short.yaml", SleepGrid("short", "0", 1));
  ASSERT_EQ(Run("run short.yaml --db b.db -q").exit_code, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE isolation = 'inproc'", "b.db"), 1);
}

}  // namespace
}  // namespace attnsweep
