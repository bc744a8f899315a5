// attnsweep under a real mpirun: distribution, exactly-once results across a kill -9 and a resume,
// leases, and errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "tests/cli_test_fixture.h"

namespace attnsweep {
namespace {

std::string Mpirun(int ranks) {
  return std::string(ATTNSWEEP_SOURCE_DIR) + "/scripts/mpirun.sh -np " + std::to_string(ranks) +
         " ";
}

TEST_F(CliTest, ThreeRanksStoreOneResultPerJobFromSeveralWorkers) {
  Write("naps.yaml", SleepGrid("naps", "0.1", 12));
  auto run = testing::RunShell(Mpirun(3) + testing::Attnsweep() + " run naps.yaml --db a.db", dir_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 12);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), 12);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT job_id) FROM metrics"), 12);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts"), 12);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT rank) FROM attempts"), 2)
      << "both worker ranks ran jobs";
  EXPECT_EQ(QueryInt("SELECT min(rank) FROM attempts"), 1) << "rank 0 only coordinates";
  // Two worker ranks share the two cores: one thread each.
  EXPECT_EQ(QueryInt("SELECT max(threads) FROM jobs"), 1);
  EXPECT_NE(QueryInt("SELECT instr(versions, 'Open MPI') FROM batches"), 0);
}

TEST_F(CliTest, KillNineOfMpirunThenResumeRunsExactlyTheMissingJobs) {
  const auto [pid, done] = StartSlowSweepAndWait(2, "/dev/null", "setsid " + Mpirun(3));
  ASSERT_GE(done, 2);
  ::kill(-pid, SIGKILL);  // mpirun's whole session; its ranks die with it (PR_SET_PDEATHSIG)
  testing::WaitExitCode(pid);
  const int64_t done_at_kill = QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'");
  ASSERT_GE(done_at_kill, 2);
  ASSERT_LT(done_at_kill, 8) << "the kill came too late to test anything";
  const int64_t attempts_before = QueryInt("SELECT count(*) FROM attempts");

  auto resume = testing::RunShell(Mpirun(3) + testing::Attnsweep() + " resume --db a.db", dir_);
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  // The resume started exactly the jobs not done at the kill, each once.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts") - attempts_before, 8 - done_at_kill);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), 8)
      << "nothing stored twice";
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT max(n) FROM (SELECT count(*) AS n FROM attempts WHERE outcome = "
                     "'done' GROUP BY job_id)"),
            1);
  EXPECT_EQ(QueryInt("SELECT status = 'done' AND lease_owner IS NULL FROM batches"), 1);
  EXPECT_NE(resume.err.find("took over batch 1"), std::string::npos) << resume.err;
}

TEST_F(CliTest, KillNineInsideAStoreGroupThenResumeStoresEveryResultOnce) {
  // No-op jobs, thousands a second: the coordinator always holds results it has logged but not yet
  // committed (its group commit), so the kill lands inside a group.
  constexpr int kJobs = 20000;  // two experiments of 10,000 seeds (a grid axis's most)
  std::string grid = "experiments:\n";
  for (const char* experiment : {"noop: [1, 10000]", "noop2: [10001, 20000]"}) {
    const std::string text = experiment;
    const size_t colon = text.find(':');
    grid += "  - name: " + text.substr(0, colon) +
            "\n    task: fault\n    params: {fault: {kind: none, seconds: 0}}\n"
            "    grid: {seed: {range: " +
            text.substr(colon + 2) + "}}\n";
  }
  Write("noops.yaml", grid);
  const pid_t pid =
      testing::StartShell("exec setsid " + Mpirun(3) + testing::Attnsweep() +
                              " run noops.yaml --db a.db --isolation inproc 2>err.txt",
                          dir_);
  ASSERT_GE(WaitForDoneJobs(1000, 600, std::chrono::milliseconds(20)), 1000);
  ::kill(-pid, SIGKILL);
  testing::WaitExitCode(pid);
  const int64_t done_at_kill = QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'");
  ASSERT_LT(done_at_kill, kJobs) << "the kill came too late to test anything";

  // Results the coordinator logged as done but had not committed: the group the kill landed in.
  const std::string log = testing::ReadFileText(dir_ + "/err.txt");
  const std::regex logged_done(R"(\] done noop2? #(\d+) )");
  std::set<int64_t> logged;
  for (auto m = std::sregex_iterator(log.begin(), log.end(), logged_done);
       m != std::sregex_iterator(); ++m) {
    logged.insert(std::stoll((*m)[1].str()));
  }
  std::string ids;
  for (int64_t id : logged) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const int64_t logged_and_stored =
      QueryInt("SELECT count(*) FROM jobs WHERE status = 'done' AND id IN (" + ids + ")");
  // Almost always the kill lands inside a group; once in a while (seen once in a dozen runs under
  // load) right after a commit, and then this run tests resume after a kill between groups.
  if (logged_and_stored == static_cast<int64_t>(logged.size())) {
    std::printf("the kill landed between two groups this time (%zu results logged, all stored)\n",
                logged.size());
  }
  EXPECT_LE(logged_and_stored, static_cast<int64_t>(logged.size()));
  EXPECT_GE(static_cast<int64_t>(logged.size()), done_at_kill);

  auto resume = testing::RunShell(
      Mpirun(3) + testing::Attnsweep() + " resume --db a.db --isolation inproc -q", dir_);
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), kJobs);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'value'"), kJobs)
      << "nothing stored twice, nothing missing";
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'done'"), kJobs);
  EXPECT_EQ(QueryInt("SELECT max(n) FROM (SELECT count(*) AS n FROM attempts WHERE outcome = "
                     "'done' GROUP BY job_id)"),
            1);
  // Every attempt the store knows of has ended: none left running or dangling.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome IS NULL"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs j WHERE attempts != (SELECT count(*) FROM "
                     "attempts a WHERE a.job_id = j.id)"),
            0);
}

TEST_F(CliTest, AnInprocJobThatTakesItsRankDownIsBlamedThenFailedAsPoison) {
  // A segfault in an inproc job kills its worker rank, and mpirun ends the whole MPI job: the
  // coordinator sees the rank gone and blames the job (rank_died, counted), so resume cannot loop.
  Write("poison.yaml", R"(experiments:
  - name: poison
    task: fault
    limits: {isolation: inproc, max_attempts: 2}
    params: {fault.kind: segfault}
)");
  auto run =
      testing::RunShell(Mpirun(2) + testing::Attnsweep() + " run poison.yaml --db a.db", dir_);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'rank_died' AND error LIKE "
                     "'its worker rank 1 (pid %) died while running it%'"),
            1)
      << run.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'pending'"), 1);
  auto again = testing::RunShell(Mpirun(2) + testing::Attnsweep() + " resume --db a.db", dir_);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'rank_died'"), 2) << again.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_kind = 'crash' "
                     "AND error LIKE 'poison: %'"),
            1);
  // Nothing is left to run: resume ends the batch, saying what failed and how to run it again; a
  // plain resume after that says the same.
  for (int i = 0; i < 2; ++i) {
    auto nothing = Run("resume --db a.db");
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_NE(nothing.err.find("1 failed: 1 crash"), std::string::npos) << nothing.err;
    EXPECT_NE(nothing.err.find("attnsweep resume 1 --retry-failed --db a.db"), std::string::npos)
        << nothing.err;
  }
}

TEST_F(CliTest, ResumeWhereNothingWasStoredSaysSo) {
  auto none = Run("resume --db never.db");
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_NE(none.err.find("nothing was stored there. If `run` was stopped before it stored its "
                          "batch, start `attnsweep run GRID.yaml` again"),
            std::string::npos)
      << none.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/never.db"));
}

// A bad Open MPI setting makes MPI_Init_thread fail for real. Open MPI 4.1 then ends the process
// itself (its fatal error handler, exit 1) before attnsweep can answer kExitLaunchFailed, so this
// holds what is true whichever library runs: no success, the cause printed, nothing stored.
TEST_F(CliTest, MpiThatCannotStartFailsTheRunAndStoresNothing) {
  Write("grid.yaml", "experiments: [{name: a, task: sleep}]\n");
  const auto run = testing::RunShell(
      "OMPI_MCA_pml=nonesuch " + testing::Attnsweep() + " run grid.yaml --db a.db", dir_);
  EXPECT_NE(run.exit_code, 0) << run.err;
  // Open MPI's own report, attnsweep's, or — seen on a loaded machine — Open MPI failing to
  // format its own help text (ORTE_ERROR_LOG lines): something says MPI is at fault.
  EXPECT_TRUE(run.err.find("MPI_Init") != std::string::npos ||
              run.err.find("MPI could not start") != std::string::npos ||
              run.err.find("ORTE_ERROR_LOG") != std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db"));
}

TEST_F(CliTest, CtrlCOfMpirunExitsOneThirtyAndResumeFinishes) {
  // As a terminal does: SIGINT to the whole foreground group (the script, mpirun, the ranks).
  const auto [pid, done] = StartSlowSweepAndWait(2, "err.txt", "setsid " + Mpirun(3));
  ASSERT_GE(done, 2);
  ::kill(-pid, SIGINT);
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  EXPECT_EQ(QueryInt("SELECT status = 'interrupted' FROM batches"), 1);
  auto resume = Run("resume --db a.db");
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
}

TEST_F(CliTest, ARankKilledUnderMpirunLeavesALineThatSaysWhatToDo) {
  const auto [pid, done] = StartSlowSweepAndWait(1, "err.txt", "setsid " + Mpirun(3));
  ASSERT_GE(done, 1);
  // A worker rank, killed as the kernel or a user would: mpirun is the script's child, the ranks
  // are mpirun's, rank 0 the first of them.
  const auto mpirun = testing::RunShell("pgrep -P " + std::to_string(pid), dir_);
  const auto ranks = testing::RunShell(
      "pgrep -P " + mpirun.out.substr(0, mpirun.out.find('\n')) + " | sort -n | tail -1", dir_);
  ASSERT_FALSE(ranks.out.empty()) << mpirun.out;
  ::kill(std::stoi(ranks.out), SIGKILL);
  const int code = testing::WaitExitCode(pid);
  EXPECT_NE(code, 0);
  const std::string err = testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_NE(err.find("scripts/mpirun.sh: mpirun ended with status"), std::string::npos) << err;
  EXPECT_NE(err.find("`attnsweep resume --db STORE` finishes the batch"), std::string::npos) << err;
  auto resume = Run("resume --db a.db");
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT max(n) FROM (SELECT count(*) AS n FROM attempts WHERE outcome = "
                     "'done' GROUP BY job_id)"),
            1);
}

TEST_F(CliTest, ARankWhoseJobLauncherDiesChargesNoJobAndStartsJobsItself) {
  // The launcher of a worker rank (the process that forks its job processes) killed while a job
  // runs there: that attempt ends worker_fault, not counted, the job runs again, and the rank
  // starts its later jobs from the binary; nothing is charged to a job, nothing spins or hangs.
  Write("naps.yaml", SleepGrid("naps", "1.5", 8));
  const pid_t pid = testing::StartShell(
      "exec setsid " + Mpirun(3) + testing::Attnsweep() +
          " run naps.yaml --db a.db --isolation process --max-attempts 3 2>err.txt",
      dir_);
  // script -> mpirun -> ranks -> each worker rank's launcher (its oldest child) -> job processes.
  std::string launcher;
  for (int poll = 0; poll < 400 && launcher.empty(); ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const auto found = testing::RunShell(
        "for rank in $(pgrep -P $(pgrep -P " + std::to_string(pid) +
            " | head -1) | sort -n | tail -1); do l=$(pgrep -P $rank | sort -n | head -1); "
            "[ -n \"$l\" ] && pgrep -P $l > /dev/null && echo $l; done",
        dir_);
    launcher = found.out.substr(0, found.out.find('\n'));
  }
  ASSERT_FALSE(launcher.empty()) << "no worker rank ran a job within 10 s";
  ::kill(std::stoi(launcher), SIGKILL);
  const int code = testing::WaitExitCode(pid);
  const std::string err = testing::ReadFileText(dir_ + "/err.txt");
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'worker_fault' AND error LIKE "
                     "'%job launcher%died while the job ran%'"),
            1)
      << err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome NOT IN ('done', "
                     "'worker_fault')"),
            0)
      << err;
  // The rank whose launcher died went on running jobs, started from the binary.
  EXPECT_GE(QueryInt("SELECT count(*) FROM attempts a, attempts f WHERE f.outcome = "
                     "'worker_fault' AND a.rank = f.rank AND a.outcome = 'done' AND a.started_at "
                     "> f.finished_at"),
            1);
  EXPECT_NE(err.find("the job launcher is gone"), std::string::npos) << err;
}

TEST_F(CliTest, AProgramMpirunCannotStartIsNamedAsSuch) {
  // Open MPI ends with 132 when the program is missing (a build relinking it, say), a code that
  // reads as SIGILL; its own notice is one --quiet hides, so the script says it.
  auto missing = testing::RunShell(Mpirun(2) + "./no-such-attnsweep run grid.yaml", dir_);
  EXPECT_EQ(missing.exit_code, 132);
  EXPECT_NE(missing.err.find("Open MPI could not start the program (not found or not executable)"),
            std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("ATTNSWEEP_MPIRUN_QUIET=0"), std::string::npos) << missing.err;
}

TEST_F(CliTest, ArgumentsMpirunRefusesAreNotCalledACrash) {
  // Open MPI 5's mpirun ends with 213 for an option or setting it refuses, 4's with 1 and, under
  // --quiet, no word: no rank ran, so "a rank crashed or was killed (signal 85)" or a silent
  // "some jobs failed" would send the user the wrong way.
  auto refused = testing::RunShell(
      Mpirun(2) + "--map-by nonsense " + testing::Attnsweep() + " status --db a.db", dir_);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(refused.err.find("a rank crashed or was killed"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("refused its arguments or settings"), std::string::npos)
      << refused.err;
  if (refused.exit_code != 213) {
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
  }
  // A sweep whose job failed still ends with 1, and no such line.
  Write("fails.yaml", "experiments:\n  - {name: a, task: fault, params: {fault: {kind: throw}}}\n");
  auto failed =
      testing::RunShell(Mpirun(2) + testing::Attnsweep() + " run fails.yaml --db a.db -q", dir_);
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_EQ(failed.err.find("refused its arguments"), std::string::npos) << failed.err;
}

TEST_F(CliTest, TwoRunsIntoOneStoreWithReadersLoopingBesideThemLockNobodyOut) {
  // One sweep under mpirun, one on its own, into one store; status, results and query read it in
  // a loop all the while. Both finish with every result, and "database is locked" reaches nobody.
  Write("naps.yaml", R"(name: naps
experiments:
  - name: nap
    task: sleep
    params: {sleep.seconds: 0.05}
    grid: {seed: {range: [1, 40]}}
)");
  Write("faults.yaml", R"(name: quick
experiments:
  - name: quick
    task: fault
    params: {fault: {kind: none, seconds: 0.05}}
    grid: {seed: {range: [1, 12]}}
)");
  const std::string a = testing::Attnsweep();
  const pid_t readers = testing::StartShell(
      "for i in $(seq 1 400); do [ -e a.db ] || { sleep 0.05; continue; }; " + a +
          " status --db a.db; " + a + " results --db a.db; " + a +
          " query --db a.db 'SELECT count(*) FROM jobs'; [ -e stop ] && break; done "
          "> readers.txt 2>&1",
      dir_);
  const pid_t under_mpirun =
      testing::StartShell("exec " + Mpirun(3) + a + " run naps.yaml --db a.db -q 2> mpi.txt", dir_);
  const pid_t alone =
      testing::StartShell("exec " + a + " run faults.yaml --db a.db -q 2> alone.txt", dir_);
  EXPECT_EQ(testing::WaitExitCode(under_mpirun), 0) << testing::ReadFileText(dir_ + "/mpi.txt");
  EXPECT_EQ(testing::WaitExitCode(alone), 0) << testing::ReadFileText(dir_ + "/alone.txt");
  Write("stop", "");
  testing::WaitExitCode(readers);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 52);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM batches WHERE status = 'done'"), 2);
  for (const char* log : {"readers.txt", "mpi.txt", "alone.txt"}) {
    const std::string text = testing::ReadFileText(dir_ + "/" + log);
    EXPECT_EQ(text.find("locked"), std::string::npos) << log << ":\n" << text.substr(0, 3000);
    EXPECT_EQ(text.find("error"), std::string::npos) << log << ":\n" << text.substr(0, 3000);
  }
}

TEST_F(CliTest, SecondResumeIsRefusedWhileTheFirstHoldsTheLease) {
  const auto [pid, done] = StartSlowSweepAndWait(1, "/dev/null");
  ASSERT_GE(done, 1);
  ::kill(pid, SIGINT);
  ASSERT_EQ(testing::WaitExitCode(pid), 130);
  const pid_t first =
      testing::StartShell("exec " + testing::Attnsweep() + " resume --db a.db 2>first.txt", dir_);
  for (int i = 0; i < 100; ++i) {  // until the first resume holds the lease
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (QueryInt("SELECT lease_owner IS NOT NULL FROM batches") == 1) break;
  }
  auto second = Run("resume --db a.db");
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_NE(second.err.find("error: batch 1 is being run by "), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("attnsweep stop 1"), std::string::npos) << second.err;
  EXPECT_EQ(testing::WaitExitCode(first), 0) << testing::ReadFileText(dir_ + "/first.txt");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), 8);
}

TEST_F(CliTest, SingletonInterruptThenResumeCompletes) {
  const auto [pid, done] = StartSlowSweepAndWait(2, "err.txt");
  ASSERT_GE(done, 2);
  ::kill(pid, SIGINT);
  ASSERT_EQ(testing::WaitExitCode(pid), 130);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  const int64_t pending = QueryInt("SELECT count(*) FROM jobs WHERE status = 'pending'");
  const int64_t attempts_before = QueryInt("SELECT count(*) FROM attempts");
  auto resume = Run("resume --db a.db");
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts") - attempts_before, pending);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'done'"), 8);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM metrics WHERE name = 'seconds'"), 8);
}

TEST_F(CliTest, ValidationErrorUnderMpirunExitsTwoAndIsPrintedOnce) {
  Write("bad.yaml", "experiments:\n  - name: a\n    task: sleap\n");
  auto run =
      testing::RunShell(Mpirun(3) + testing::Attnsweep() + " run bad.yaml --db a.db 2>&1", dir_);
  EXPECT_EQ(run.exit_code, 2) << run.out;
  const std::string message = "bad.yaml:3:11: error: unknown task 'sleap'";
  const size_t first = run.out.find(message);
  ASSERT_NE(first, std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(message, first + 1), std::string::npos) << "printed more than once:\n"
                                                                 << run.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a.db"));
}

TEST_F(CliTest, StopFromAnotherShellDrainsTheBatch) {
  // Jobs enough and long enough that the rest of the batch cannot finish before `stop` (a process
  // that loads LibTorch, seconds on a loaded machine) and the coordinator's next look at the store
  // (1 s): 16 of 1.5 s on two workers. With 8 the test failed once in a `make test` here
  // (2026-12-03) and passed alone and under load; its output was not kept, so the batch ending
  // before the stop is a guess at the cause, and more jobs the cheap guard against it.
  const auto [pid, done] =
      StartSlowSweepAndWait(1, "err.txt", Mpirun(3), /*seconds=*/1.5, /*jobs=*/16);
  ASSERT_GE(done, 1);
  auto stop = Run("stop --db a.db");
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_NE(stop.out.find("asked batch 1"), std::string::npos) << stop.out;
  EXPECT_EQ(testing::WaitExitCode(pid), 130) << testing::ReadFileText(dir_ + "/err.txt");
  EXPECT_EQ(QueryInt("SELECT status = 'stopped' FROM batches"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  EXPECT_GT(QueryInt("SELECT count(*) FROM jobs WHERE status = 'pending'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM attempts WHERE outcome IS NOT 'done'"), 0)
      << "a drain lets running jobs finish";
  auto again = Run("stop --db a.db");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("is not running"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace attnsweep
