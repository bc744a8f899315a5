// The store: schema, batches and jobs, fenced results, failure paths, and its refusals.
#include "store/result_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "experiments/base/attempt_outcomes.h"
#include "store/schema.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attnsweep_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "s.db").string();
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }

  int64_t MakeBatch(ResultStore& store, int jobs) {
    std::vector<NewJob> new_jobs;
    for (int i = 0; i < jobs; ++i) {
      new_jobs.push_back({"exp", "key" + std::to_string(i),
                          "{\"task\":\"sleep\",\"seed\":" + std::to_string(i) + "}",
                          static_cast<double>(i)});
    }
    return store.CreateBatch({"b", "experiments: []", "g.yaml", "host", "rev", "{}"}, new_jobs);
  }

  // A store as a build of schema `version` left it, holding what `rows` inserts; `refused` is a
  // statement of a newer schema that this version must refuse.
  void WriteOldStore(int version, const std::string& rows, const std::string& refused) {
    Database raw(path_, Database::Mode::kReadWriteCreate);
    MigrateSchema(raw, version);
    raw.Exec(rows);
    EXPECT_THROW(raw.Exec(refused), StoreError);
  }

  int64_t Count(ResultStore& store, const std::string& sql) {
    Statement s(store.db(), sql);
    EXPECT_TRUE(s.Step());
    return s.Int(0);
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreTest, CreatesSchemaInWalMode) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  {
    Statement mode(store.db(), "PRAGMA journal_mode");
    ASSERT_TRUE(mode.Step());
    EXPECT_EQ(mode.Text(0), "wal");
    Statement sync(store.db(), "PRAGMA synchronous");
    ASSERT_TRUE(sync.Step());
    EXPECT_EQ(sync.Int(0), 1) << "NORMAL";
    Statement version(store.db(), "PRAGMA user_version");
    ASSERT_TRUE(version.Step());
    EXPECT_EQ(version.Int(0), CurrentSchemaVersion());
  }
  for (const char* table :
       {"batches", "jobs", "attempts", "metrics", "curves", "results", "metric_values"}) {
    EXPECT_EQ(Count(store,
                    std::string("SELECT count(*) FROM sqlite_master WHERE name = '") + table + "'"),
              1)
        << table;
  }
  // Opening again migrates nothing and keeps the data.
  MakeBatch(store, 2);
  ResultStore again = ResultStore::OpenForWriting(path_);
  EXPECT_EQ(Count(again, "SELECT count(*) FROM jobs"), 2);
}

TEST_F(StoreTest, BatchKeepsGridTextAndJobsArePendingMostExpensiveFirst) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 3);
  Statement grid(store.db(), "SELECT grid_yaml, status FROM batches WHERE id = ?");
  grid.Bind(1, batch);
  ASSERT_TRUE(grid.Step());
  EXPECT_EQ(grid.Text(0), "experiments: []");
  EXPECT_EQ(grid.Text(1), "running");
  auto pending = store.PendingJobs(batch);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].job_key, "key2");
  EXPECT_EQ(pending[2].job_key, "key0");
}

TEST_F(StoreTest, JobKeyIsUniqueWithinABatch) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  std::vector<NewJob> twice = {{"e", "same", "{}", 0}, {"e", "same", "{}", 0}};
  EXPECT_THROW(store.CreateBatch({"b", "", "", "", "", "{}"}, twice), StoreError);
  // The failed batch left nothing behind: one transaction.
  EXPECT_EQ(Count(store, "SELECT count(*) FROM batches"), 0);
  // The same key in two batches is fine.
  MakeBatch(store, 1);
  MakeBatch(store, 1);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM jobs WHERE job_key = 'key0'"), 2);
}

TEST_F(StoreTest, ResultIsCommittedWithItsStatusAndAttempt) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  const int64_t job = store.PendingJobs(batch)[0].id;
  const int attempt = store.StartAttempt(job, {3, "node7", "cpu", 2, "process"});
  ASSERT_EQ(attempt, 1);
  EXPECT_EQ(store.StartAttempt(job, {0, "h", "cpu", 1}), 0) << "a running job cannot start again";
  ASSERT_TRUE(store.CommitResult(job, attempt, {{"fwd_ms", 1.5}, {"peak_mb", 12}},
                                 {{0, "loss", 0.9}, {1, "loss", 0.7}}));
  auto jobs = store.JobsWithMetrics(batch);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, "done");
  EXPECT_EQ(jobs[0].attempts, 1);
  EXPECT_DOUBLE_EQ(jobs[0].metrics.at("fwd_ms"), 1.5);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM curves"), 2);
  Statement a(store.db(), "SELECT rank, host, outcome, finished_at IS NOT NULL FROM attempts");
  ASSERT_TRUE(a.Step());
  EXPECT_EQ(a.Int(0), 3);
  EXPECT_EQ(a.Text(1), "node7");
  EXPECT_EQ(a.Text(2), "done");
  EXPECT_EQ(a.Int(3), 1);
  // The results view shows the figure in a column of its own.
  Statement view(store.db(), "SELECT fwd_ms, peak_mb, task, isolation, device FROM results");
  ASSERT_TRUE(view.Step());
  EXPECT_DOUBLE_EQ(view.Double(0), 1.5);
  EXPECT_DOUBLE_EQ(view.Double(1), 12);
  EXPECT_EQ(view.Text(3), "process");
  EXPECT_EQ(view.Text(4), "cpu");
  EXPECT_EQ(view.Text(2), "sleep");
}

TEST_F(StoreTest, PredictionsAreCommittedWithTheResultCopiedOnReuseAndDeletedWithTheBatch) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  const int64_t job = store.PendingJobs(batch)[0].id;
  const int attempt = store.StartAttempt(job, {1, "h", "cpu", 1, "process"});
  const std::vector<Prediction> scores = {{42, 1, 0.9}, {7, 0, 0.25}, {19, 1, 0.5}};
  // A stale attempt's scores are refused with the rest of its result.
  EXPECT_FALSE(store.CommitResult(job, attempt + 1, {{"test_auc", 1}}, {}, std::nullopt, scores));
  EXPECT_EQ(Count(store, "SELECT count(*) FROM predictions"), 0);
  ASSERT_TRUE(store.CommitResult(job, attempt, {{"test_auc", 1}}, {}, std::nullopt, scores));
  const auto read = store.Predictions(job);
  ASSERT_EQ(read.size(), 3u);  // by example
  EXPECT_EQ(read[0].example, 7);
  EXPECT_EQ(read[0].label, 0);
  EXPECT_DOUBLE_EQ(read[0].score, 0.25);
  EXPECT_EQ(read[2].example, 42);
  // A batch that reuses the result gets its own copy, which outlives the original's batch.
  NewBatch again;
  again.name = "again";
  again.grid_yaml = "experiments: []";
  const int64_t second =
      store.CreateBatch(again, {{"e", store.JobsWithMetrics(batch)[0].job_key, "{}", 1}}, true);
  const int64_t copy = store.JobsWithMetrics(second)[0].id;
  EXPECT_EQ(store.Predictions(copy).size(), 3u);
  store.DeleteBatch(batch);
  EXPECT_TRUE(store.Predictions(job).empty());
  EXPECT_EQ(store.Predictions(copy).size(), 3u);
}

TEST_F(StoreTest, ResultOfAStaleAttemptIsRejected) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  const int64_t job = store.PendingJobs(batch)[0].id;
  const int first = store.StartAttempt(job, {1, "a", "cpu", 1});
  // The first attempt is given up on (its worker vanished, say) and the job runs again.
  ASSERT_TRUE(store.RecordFailure(job, first, "lost", "worker gone", /*retry=*/true));
  const int second = store.StartAttempt(job, {2, "b", "cpu", 1});
  ASSERT_EQ(second, 2);
  // The first attempt's late result arrives: dropped, nothing stored.
  EXPECT_FALSE(store.CommitResult(job, first, {{"fwd_ms", 99}}, {}));
  EXPECT_EQ(Count(store, "SELECT count(*) FROM metrics"), 0);
  EXPECT_TRUE(store.CommitResult(job, second, {{"fwd_ms", 1}}, {}));
  // A duplicate of the accepted result is dropped too: exactly one result.
  EXPECT_FALSE(store.CommitResult(job, second, {{"fwd_ms", 2}}, {}));
  EXPECT_EQ(Count(store, "SELECT count(*) FROM metrics"), 1);
  EXPECT_EQ(Count(store, "SELECT value FROM metrics"), 1);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM attempts"), 2);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 1);
}

TEST_F(StoreTest, ProgressIsFencedByItsAttemptClearedByTheNextAndKeptAtTheEnd) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  const int64_t job = store.PendingJobs(batch)[0].id;
  const std::string epoch2 = R"({"epoch":2,"epochs":5,"first_epoch":1,"metric":"val_auc",)"
                             R"("value":0.6})";
  EXPECT_FALSE(store.RecordProgress(job, 1, epoch2)) << "a pending job has no attempt to report";
  const int first = store.StartAttempt(job, {1, "a", "cpu", 1});
  ASSERT_TRUE(store.RecordProgress(job, first, epoch2));
  // The store adds when it heard it, and reads it back for `status`, `jobs` and the ETA.
  EXPECT_EQ(Count(store, "SELECT json_extract(progress, '$.epoch') FROM jobs"), 2);
  EXPECT_EQ(Count(store, "SELECT json_extract(progress, '$.at') LIKE '20__-__-__T%Z' FROM jobs"),
            1);
  ASSERT_EQ(store.UnfinishedJobTimes(batch).size(), 1u);
  EXPECT_NE(store.UnfinishedJobTimes(batch)[0].progress.find("\"epoch\":2"), std::string::npos);
  EXPECT_NE(store.JobsWithMetrics(batch)[0].progress.find("val_auc"), std::string::npos);
  EXPECT_GE(store.JobsWithMetrics(batch)[0].running_s, 0);
  // The attempt is given up on and the job runs again: the new attempt starts with no progress,
  // and what the old one still says is refused.
  ASSERT_TRUE(store.RecordFailure(job, first, "lost", "worker gone", /*retry=*/true));
  EXPECT_FALSE(store.RecordProgress(job, first, epoch2)) << "pending again";
  const int second = store.StartAttempt(job, {2, "b", "cpu", 1});
  EXPECT_EQ(Count(store, "SELECT progress IS NULL FROM jobs"), 1);
  EXPECT_FALSE(store.RecordProgress(job, first, epoch2)) << "a late word of the old attempt";
  EXPECT_EQ(Count(store, "SELECT progress IS NULL FROM jobs"), 1);
  EXPECT_FALSE(store.RecordProgress(job, second + 1, epoch2)) << "an attempt not started";
  ASSERT_TRUE(store.RecordProgress(
      job, second, R"({"epoch":5,"epochs":5,"first_epoch":3,"metric":"val_auc","value":0.7})"));
  ASSERT_TRUE(store.CommitResult(job, second, {{"test_auc", 0.7}}, {}));
  // Done: the last word stays; the job is no longer running.
  EXPECT_EQ(Count(store, "SELECT json_extract(progress, '$.epoch') FROM jobs"), 5);
  EXPECT_EQ(store.JobsWithMetrics(batch)[0].running_s, -1);
  EXPECT_TRUE(store.UnfinishedJobTimes(batch).empty());
  EXPECT_FALSE(store.RecordProgress(job, second, epoch2)) << "a done job does not move";
}

TEST_F(StoreTest, BatchNodesDefaultToOne) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  EXPECT_EQ(store.BatchNodes(batch), 1);
  store.SetBatchNodes(batch, 3);
  EXPECT_EQ(store.BatchNodes(batch), 3);
}

TEST_F(StoreTest, FailureIsRecordedWithItsKind) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 2);
  auto jobs = store.PendingJobs(batch);
  const int a = store.StartAttempt(jobs[0].id, {0, "h", "cpu", 1});
  ASSERT_TRUE(store.RecordFailure(jobs[0].id, a, "oom", "can't allocate memory", false));
  EXPECT_FALSE(store.RecordFailure(jobs[0].id, a, "oom", "again", false)) << "already ended";
  auto failed = store.JobsWithMetrics(batch, "failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_kind, "oom");
  EXPECT_EQ(failed[0].error, "can't allocate memory");
  auto summary = store.FindBatch(batch);
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(summary->pending, 1);
  EXPECT_EQ(summary->total, 2);
}

TEST_F(StoreTest, FindsBatchesByIdOrName) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  EXPECT_FALSE(store.LatestBatchId());
  const int64_t first = MakeBatch(store, 1);
  const int64_t second = MakeBatch(store, 1);
  EXPECT_EQ(*store.LatestBatchId(), second);
  EXPECT_EQ(*store.FindBatchId(std::to_string(first)), first);
  EXPECT_EQ(*store.FindBatchId("b"), second) << "a name means its newest batch";
  EXPECT_FALSE(store.FindBatchId("nope"));
}

TEST_F(StoreTest, LeaseIsExclusiveUntilItExpiresOrItsHolderDies) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  auto alive = [](const std::string&) { return false; };
  auto dead = [](const std::string&) { return true; };
  LeaseClaim first = store.AcquireLease(batch, "a:1", 30, alive);
  EXPECT_TRUE(first.acquired);
  EXPECT_FALSE(first.took_over);
  LeaseClaim refused = store.AcquireLease(batch, "b:2", 30, alive);
  EXPECT_FALSE(refused.acquired);
  EXPECT_EQ(refused.holder, "a:1");
  EXPECT_FALSE(refused.expires.empty());
  EXPECT_TRUE(store.AcquireLease(batch, "a:1", 30, alive).acquired) << "the holder may renew";
  EXPECT_FALSE(store.RenewLease(batch, "b:2", 30));
  EXPECT_TRUE(store.RenewLease(batch, "a:1", 30));

  LeaseClaim over_dead = store.AcquireLease(batch, "b:2", 30, dead);
  EXPECT_TRUE(over_dead.acquired);
  EXPECT_TRUE(over_dead.took_over);
  EXPECT_FALSE(store.RenewLease(batch, "a:1", 30)) << "the old holder has lost it";

  ASSERT_TRUE(store.RenewLease(batch, "b:2", -1));  // expired a second ago
  LeaseClaim over_expired = store.AcquireLease(batch, "c:3", 30, alive);
  EXPECT_TRUE(over_expired.acquired);
  EXPECT_TRUE(over_expired.took_over);
  store.ReleaseLease(batch, "c:3");
  EXPECT_FALSE(store.FindBatchRecord(batch)->lease_live);
}

TEST_F(StoreTest, AGoneCoordinatorsJobsAreAbandonedUnlessTheyRanInsideIt) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 2);
  auto jobs = store.PendingJobs(batch);
  // One in a job process of its own under a worker rank; one inside the coordinator's own process
  // (one rank, inproc), which it may have brought down.
  const AttemptPlace own_process{1, "h", "cpu", 1, "process"};
  const AttemptPlace in_coordinator{0, "h", "cpu", 1, "inproc"};
  store.StartAttempt(jobs[0].id, own_process);
  store.StartAttempt(jobs[1].id, in_coordinator);
  auto requeued = store.RequeueRunning(batch, /*max_attempts=*/2);
  EXPECT_EQ(requeued.abandoned, 1);
  EXPECT_EQ(requeued.suspects, 1);
  EXPECT_EQ(requeued.poisoned, 0);
  EXPECT_EQ(store.FindBatch(batch)->pending, 2);
  EXPECT_EQ(store.CountedAttempts(jobs[0].id), 0) << "the coordinator's death was not its doing";
  EXPECT_EQ(store.CountedAttempts(jobs[1].id), 1);
  // Again: the abandoned job is free to run a third time; the suspect has used its two attempts
  // and fails as a crash, a poison job.
  store.StartAttempt(jobs[0].id, own_process);
  store.StartAttempt(jobs[1].id, in_coordinator);
  requeued = store.RequeueRunning(batch, 2);
  EXPECT_EQ(requeued.abandoned, 1);
  EXPECT_EQ(requeued.poisoned, 1);
  EXPECT_EQ(store.FindBatch(batch)->pending, 1);
  auto failed = store.JobsWithMetrics(batch, "failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_kind, "crash");
  EXPECT_EQ(failed[0].error.rfind("poison: ", 0), 0u) << failed[0].error;
  EXPECT_EQ(Count(store, "SELECT count(*) FROM attempts WHERE outcome = 'abandoned'"), 2);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM attempts WHERE outcome = 'rank_died'"), 2);
  EXPECT_EQ(store.RetryFailed(batch), 1);
  EXPECT_EQ(store.FindBatch(batch)->pending, 2);
}

TEST_F(StoreTest, AStoreErrorAbandonsTheRunningAttemptsOnlyUnderItsOwnLease) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 3);
  auto jobs = store.PendingJobs(batch);
  const auto nobody_dead = [](const std::string&) { return false; };
  ASSERT_TRUE(store.AcquireLease(batch, "h:1", 60, nobody_dead).acquired);
  store.StartAttempt(jobs[0].id, {0, "h", "cpu", 1, "inproc"});
  store.StartAttempt(jobs[1].id, {1, "h", "cpu", 1, "process"});
  // Not our lease: another coordinator runs these jobs, nothing is touched.
  EXPECT_EQ(store.AbandonRunning(batch, "h:2", "store error"), 0);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM jobs WHERE status = 'running'"), 2);
  EXPECT_EQ(store.AbandonRunning(batch, "h:1", "store error"), 2);
  EXPECT_EQ(store.FindBatch(batch)->pending, 3);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM attempts WHERE outcome = 'abandoned'"), 2);
  EXPECT_EQ(store.CountedAttempts(jobs[0].id), 0) << "the one ran inproc is not blamed either";
}

TEST_F(StoreTest, AnInterruptedAttemptWhoseRankDiedCountsAndAPoisonJobFails) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t batch = MakeBatch(store, 1);
  const int64_t job = store.PendingJobs(batch)[0].id;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    store.StartAttempt(job, {1, "h", "cpu", 1, "inproc"});
    ASSERT_TRUE(
        store.RecordFailure(job, attempt, "interrupted", "the sweep was interrupted", true));
    EXPECT_TRUE(store.MarkRankDied(job, attempt, /*max_attempts=*/2, "rank 1 died"));
    EXPECT_EQ(store.CountedAttempts(job), attempt);
  }
  auto failed = store.JobsWithMetrics(batch, "failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error_kind, "crash");
  EXPECT_NE(failed[0].error.find("took its process down 2 times"), std::string::npos)
      << failed[0].error;
  // Only an interrupted attempt is taken for a rank's death: not a done or crashed one.
  EXPECT_FALSE(store.MarkRankDied(job, 2, 2, "again"));
  store.RetryFailed(batch);
  store.StartAttempt(job, {1, "h", "cpu", 1, "inproc"});
  ASSERT_TRUE(store.CommitResult(job, 3, {{"value", 1.0}}, {}));
  EXPECT_FALSE(store.MarkRankDied(job, 3, 2, "rank 1 died"));
  EXPECT_EQ(store.FindBatch(batch)->done, 1);
}

TEST_F(StoreTest, StopRequestAndUnfinishedBatches) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  const int64_t first = MakeBatch(store, 1);
  const int64_t second = MakeBatch(store, 1);
  store.FinishBatch(second, "done");
  EXPECT_EQ(*store.LatestUnfinishedBatchId(), first);
  EXPECT_FALSE(store.StopRequested(first));
  store.RequestStop(first);
  EXPECT_TRUE(store.StopRequested(first));
  store.ClearStopRequest(first);
  EXPECT_FALSE(store.StopRequested(first));
}

TEST_F(StoreTest, LockedStoreFailsWithAClearMessage) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  Database holder(path_, Database::Mode::kReadWriteCreate);
  holder.Exec("PRAGMA busy_timeout = 0");
  holder.Exec("BEGIN IMMEDIATE");
  sqlite3_busy_timeout(store.db().get(), 50);  // do not wait the full default in a test
  try {
    MakeBatch(store, 1);
    FAIL() << "wrote while another connection held the lock";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("another process holds the store's write lock"),
              std::string::npos)
        << e.what();
  }
  holder.Exec("ROLLBACK");
  EXPECT_NO_THROW(MakeBatch(store, 1));
}

TEST_F(StoreTest, StoreFromANewerVersionIsRefused) {
  { ResultStore::OpenForWriting(path_); }
  {
    Database raw(path_, Database::Mode::kReadWriteCreate);
    raw.Exec("PRAGMA user_version = 999");
  }
  EXPECT_THROW(ResultStore::OpenForWriting(path_), StoreError);
  EXPECT_THROW(ResultStore::OpenReadOnly(path_), StoreError);
}

TEST_F(StoreTest, AStoreOfAnOlderSchemaIsUpgradedBeforeAReadOnlyCommandReadsIt) {
  // A store as the build before plans and --reuse left it: schema 2, one done job.
  WriteOldStore(
      2,
      "INSERT INTO batches (name, grid_yaml, status) VALUES ('old', 'experiments: []', 'done');"
      "INSERT INTO jobs (batch_id, experiment, job_key, config, status, started_at, "
      "finished_at) VALUES (1, 'e', 'k', '{\"task\":\"sleep\"}', 'done', "
      "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z');",
      "UPDATE jobs SET plan = '{}'");
  ResultStore store = ResultStore::OpenReadOnly(path_);
  // Every read path names today's columns (plan, reused_from, workers).
  ASSERT_EQ(store.ListBatches().size(), 1u);
  EXPECT_EQ(store.ListBatches()[0].done, 1);
  EXPECT_EQ(store.ListBatches()[0].reused, 0);
  EXPECT_EQ(store.JobsWithMetrics(1).size(), 1u);
  EXPECT_TRUE(store.DoneJobTimes().empty()) << "a job with no plan teaches the cost model nothing";
  Statement version(store.db(), "PRAGMA user_version");
  ASSERT_TRUE(version.Step());
  EXPECT_EQ(version.Int(0), CurrentSchemaVersion());
}

// Migrations are history and keep their text; the outcomes are one table. A row added to the table
// without a migration that widens the CHECK on attempts.outcome fails here, and so does a name the
// CHECK takes that the table lacks.
TEST_F(StoreTest, AttemptsTakeEveryOutcomeOfTheTableAndNoOther) {
  ResultStore store = ResultStore::OpenForWriting(path_);
  MakeBatch(store, 1);
  store.db().Exec("INSERT INTO attempts (job_id, attempt) VALUES (1, 1)");
  for (const AttemptOutcome& row : kAttemptOutcomes) {
    EXPECT_NO_THROW(store.db().Exec(std::string("UPDATE attempts SET outcome = '") + row.name +
                                    "' WHERE attempt = 1"))
        << row.name;
  }
  EXPECT_THROW(store.db().Exec("UPDATE attempts SET outcome = 'vanished' WHERE attempt = 1"),
               StoreError);

  Statement table(store.db(), "SELECT sql FROM sqlite_master WHERE name = 'attempts'");
  ASSERT_TRUE(table.Step());
  const std::string sql = table.Text(0);
  const size_t from = sql.find("outcome IN (");
  ASSERT_NE(from, std::string::npos) << sql;
  const std::string list = sql.substr(from, sql.find(')', from) - from);
  std::set<std::string> checked;
  for (size_t quote = list.find('\''); quote != std::string::npos;) {
    const size_t end = list.find('\'', quote + 1);
    checked.insert(list.substr(quote + 1, end - quote - 1));
    quote = list.find('\'', end + 1);
  }
  std::set<std::string> tabled;
  for (const AttemptOutcome& row : kAttemptOutcomes) tabled.insert(row.name);
  EXPECT_EQ(checked, tabled);
}

TEST_F(StoreTest, SchemaFiveKeepsEveryAttemptAndTakesTheNewOutcomes) {
  WriteOldStore(
      4,
      "INSERT INTO batches (name, grid_yaml, status) VALUES ('old', 'experiments: []', 'done');"
      "INSERT INTO jobs (batch_id, experiment, job_key, config, status, attempts) VALUES "
      "(1, 'e', 'k', '{}', 'done', 2);"
      "INSERT INTO attempts (job_id, attempt, rank, host, outcome, error) VALUES "
      "(1, 1, 1, 'h', 'lost', 'went silent'), (1, 2, 1, 'h', 'done', NULL);",
      "UPDATE attempts SET outcome = 'killed' WHERE attempt = 1");
  ResultStore store = ResultStore::OpenForWriting(path_);
  EXPECT_EQ(Count(store,
                  "SELECT count(*) FROM attempts WHERE outcome IN ('lost', 'done') AND "
                  "host = 'h' AND rank = 1"),
            2);
  for (const char* outcome : {"killed", "abandoned", "rank_died"}) {
    store.db().Exec(std::string("UPDATE attempts SET outcome = '") + outcome +
                    "' WHERE attempt = 1");
  }
  EXPECT_THROW(store.db().Exec("UPDATE attempts SET outcome = 'vanished' WHERE attempt = 1"),
               StoreError);
}

TEST_F(StoreTest, TheWorkerFaultMigrationKeepsEveryAttempt) {
  // A store as the build before `worker_fault` (schema 8) left it: its attempts come through the
  // table's rebuild unchanged, and the new outcome is taken.
  WriteOldStore(
      8,
      "INSERT INTO batches (name, grid_yaml, status) VALUES ('old', 'x', 'running');"
      "INSERT INTO jobs (batch_id, experiment, job_key, config, status, attempts) VALUES "
      "(1, 'e', 'k', '{}', 'running', 3);"
      "INSERT INTO attempts (job_id, attempt, rank, host, started_at, finished_at, outcome, "
      "error) VALUES (1, 1, 2, 'h', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', "
      "'rank_died', 'gone'), (1, 2, 1, 'h', '2026-01-01T00:00:02.000Z', NULL, NULL, NULL);",
      "INSERT INTO attempts (job_id, attempt, outcome) VALUES (1, 3, 'worker_fault')");
  ResultStore store = ResultStore::OpenForWriting(path_);
  EXPECT_EQ(Count(store,
                  "SELECT count(*) FROM attempts WHERE job_id = 1 AND ((attempt = 1 AND rank = 2 "
                  "AND outcome = 'rank_died' AND error = 'gone' AND finished_at = "
                  "'2026-01-01T00:00:01.000Z') OR (attempt = 2 AND outcome IS NULL AND "
                  "started_at = '2026-01-01T00:00:02.000Z'))"),
            2);
  store.db().Exec("UPDATE attempts SET outcome = 'worker_fault' WHERE attempt = 2");
  EXPECT_THROW(store.db().Exec("UPDATE attempts SET outcome = 'vanished' WHERE attempt = 2"),
               StoreError);
}

TEST_F(StoreTest, TheDecisionsMigrationAddsTheirTableAndKeepsEveryJob) {
  // A store as the build before early stopping (schema 8) left it, a job running in it.
  WriteOldStore(7,
                "INSERT INTO batches (name, grid_yaml, status) VALUES ('old', 'x', 'running');"
                "INSERT INTO jobs (batch_id, experiment, job_key, config, status, attempts, "
                "started_at) VALUES (1, 'e', 'k1', '{}', 'running', 2, "
                "'2026-01-01T00:00:00.000Z');",
                "SELECT count(*) FROM rung_decisions");
  ResultStore store = ResultStore::OpenForWriting(path_);
  EXPECT_EQ(SchemaVersion(store.db()), CurrentSchemaVersion());
  ASSERT_EQ(store.JobsWithMetrics(1).size(), 1u);
  RungDecisionRecord decision;
  decision.job_id = 1;
  decision.attempt = 1;  // not the job's current attempt: refused
  decision.epoch = 3;
  decision.group = "g";
  decision.rule = "{}";
  decision.metric = "val_auc";
  decision.value = 0.75;
  decision.go_on = false;
  decision.reached = 4;
  decision.better = 2;
  decision.allowed = 2;
  decision.threshold = 0.8;
  decision.reason = "epoch 3: 2 jobs of 4 better, the top 2 go on";
  EXPECT_FALSE(store.RecordRungDecision(decision));
  decision.attempt = 2;
  EXPECT_TRUE(store.RecordRungDecision(decision));
  // Asked again (a resumed attempt): the first stays, the only one.
  decision.go_on = true;
  decision.value = 0.9;
  EXPECT_TRUE(store.RecordRungDecision(decision));
  const auto stored = store.RungDecisions(1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_FALSE(stored[0].go_on);
  EXPECT_EQ(stored[0].value, 0.75);
  EXPECT_EQ(stored[0].allowed, 2);
  EXPECT_EQ(stored[0].threshold, 0.8);
  EXPECT_EQ(stored[0].reason, decision.reason);
  EXPECT_FALSE(stored[0].decided_at.empty());
  // `rm` of the batch takes them with it.
  store.DeleteBatch(1);
  EXPECT_EQ(Count(store, "SELECT count(*) FROM rung_decisions"), 0);
}

TEST_F(StoreTest, TheProgressMigrationKeepsEveryJobAndStartsWithNoProgress) {
  // A store as the build before progress (schema 7) left it: one batch, a done job and a running
  // one.
  WriteOldStore(
      6,
      "INSERT INTO batches (name, grid_yaml, status, workers) VALUES ('old', 'x', 'running', 2);"
      "INSERT INTO jobs (batch_id, experiment, job_key, config, status, attempts, started_at, "
      "finished_at) VALUES (1, 'e', 'k1', '{}', 'done', 1, '2026-01-01T00:00:00.000Z', "
      "'2026-01-01T00:00:02.000Z'), (1, 'e', 'k2', '{}', 'running', 1, "
      "'2026-01-01T00:00:00.000Z', NULL);"
      "INSERT INTO metrics (job_id, name, value) VALUES (1, 'test_auc', 0.7);",
      "UPDATE jobs SET progress = '{}'");
  ResultStore store = ResultStore::OpenForWriting(path_);
  EXPECT_EQ(SchemaVersion(store.db()), CurrentSchemaVersion());
  const auto jobs = store.JobsWithMetrics(1);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].status, "done");
  EXPECT_DOUBLE_EQ(jobs[0].seconds, 2);
  EXPECT_DOUBLE_EQ(jobs[0].metrics.at("test_auc"), 0.7);
  EXPECT_EQ(jobs[1].status, "running");
  EXPECT_EQ(jobs[0].progress, "");
  EXPECT_EQ(jobs[1].progress, "");
  EXPECT_EQ(store.BatchWorkers(1), 2);
  EXPECT_EQ(store.BatchNodes(1), 1);
  // The running job's attempt may report: the column takes it.
  EXPECT_TRUE(store.RecordProgress(jobs[1].id, 1, R"({"epoch":1,"epochs":2})"));
}

TEST_F(StoreTest, AnotherProgramsDatabaseIsRefusedAndLeftAsItWas) {
  {
    Database raw(path_, Database::Mode::kReadWriteCreate);
    raw.Exec(
        "CREATE TABLE customers (id INTEGER, name TEXT); INSERT INTO customers VALUES (1, 'a')");
  }
  auto bytes = [this] {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string before = bytes();
  try {
    ResultStore::OpenForWriting(path_);
    FAIL() << "adopted a foreign database";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("an SQLite database of another program (tables "
                                         "customers), not an attnsweep store"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(bytes() == before) << "not a byte changed";
}

TEST_F(StoreTest, ReadOnlyOpenOfAMissingOrForeignFile) {
  try {
    ResultStore::OpenReadOnly((dir_ / "absent.db").string());
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no store at"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir_ / "absent.db")) << "a read must not create the file";
  { std::ofstream(dir_ / "text.db") << "this is not sqlite, just some text that is long enough"; }
  EXPECT_THROW(ResultStore::OpenReadOnly((dir_ / "text.db").string()), StoreError);
}

}  // namespace
}  // namespace attnsweep
