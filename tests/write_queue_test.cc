// Group commit (store/write_queue.h): queued writes reach the store together, in order, each still
// fenced; a group that the store refuses in part is not kept at all; a second connection sees
// nothing of a group before it commits (what a kill -9 would leave); event times are kept.
#include "store/write_queue.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

class WriteQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attnsweep_wq_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "s.db").string();
    store_ = std::make_unique<ResultStore>(ResultStore::OpenForWriting(path_));
    std::vector<NewJob> jobs;
    for (int i = 0; i < 4; ++i) {
      jobs.push_back(
          {"exp", "key" + std::to_string(i), "{\"seed\":" + std::to_string(i) + "}", 1.0});
    }
    batch_ = store_->CreateBatch({"b", "", "", "host", "rev", "{}"}, jobs);
    for (const JobRecord& job : store_->PendingJobs(batch_)) ids_.push_back(job.id);
    std::sort(ids_.begin(), ids_.end());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Counted on a connection of its own: what another process sees.
  int64_t Seen(const std::string& sql) {
    Database other(path_, Database::Mode::kReadOnly);
    Statement s(other, sql);
    EXPECT_TRUE(s.Step());
    return s.Int(0);
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<ResultStore> store_;
  int64_t batch_ = 0;
  std::vector<int64_t> ids_;
};

TEST_F(WriteQueueTest, WritesLandTogetherWhenFlushed) {
  WriteQueue queue(*store_, {std::chrono::seconds(60), 100});
  for (int64_t id : ids_) queue.StartAttempt(id, 1, {1, "h", "cpu", 1, "inproc"});
  queue.CommitResult(ids_[0], 1, {{"auc", 0.7}}, {{1, "loss", 0.5}});
  queue.RecordFailure(ids_[1], 1, "crash", "segfault", /*retry=*/true);
  queue.RecordFailure(ids_[2], 1, "oom", "too big", /*retry=*/false);
  EXPECT_EQ(queue.size(), 7u);
  EXPECT_FALSE(queue.Due(WriteQueue::Clock::now()));
  EXPECT_EQ(Seen("SELECT count(*) FROM attempts"), 0) << "nothing is written before the flush";
  EXPECT_EQ(Seen("SELECT count(*) FROM jobs WHERE status = 'pending'"), 4);

  queue.Flush();
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.groups(), 1);
  EXPECT_EQ(queue.writes(), 7);
  EXPECT_EQ(Seen("SELECT count(*) FROM attempts"), 4);
  EXPECT_EQ(Seen("SELECT count(*) FROM jobs WHERE status = 'done'"), 1);
  EXPECT_EQ(Seen("SELECT count(*) FROM metrics WHERE name = 'auc'"), 1);
  EXPECT_EQ(Seen("SELECT count(*) FROM curves"), 1);
  EXPECT_EQ(Seen("SELECT count(*) FROM jobs WHERE status = 'pending'"), 1) << "the crash retries";
  EXPECT_EQ(Seen("SELECT count(*) FROM jobs WHERE status = 'failed' AND error_kind = 'oom'"), 1);
  EXPECT_EQ(Seen("SELECT count(*) FROM jobs WHERE status = 'running'"), 1);
  // The retried job's next attempt is number 2.
  queue.StartAttempt(ids_[1], 2, {2, "h", "cpu", 1, "inproc"});
  queue.Flush();
  EXPECT_EQ(Seen("SELECT attempts FROM jobs WHERE id = " + std::to_string(ids_[1])), 2);
}

TEST_F(WriteQueueTest, AGroupIsDueAfterItsDelayOrWhenFull) {
  WriteQueue by_count(*store_, {std::chrono::seconds(60), 2});
  EXPECT_FALSE(by_count.Deadline());
  by_count.StartAttempt(ids_[0], 1, {1, "h", "cpu", 1, "inproc"});
  EXPECT_FALSE(by_count.Due(WriteQueue::Clock::now()));
  by_count.StartAttempt(ids_[1], 1, {1, "h", "cpu", 1, "inproc"});
  EXPECT_TRUE(by_count.Due(WriteQueue::Clock::now()));
  by_count.Flush();

  WriteQueue by_time(*store_, {std::chrono::milliseconds(50), 100});
  by_time.StartAttempt(ids_[2], 1, {1, "h", "cpu", 1, "inproc"});
  ASSERT_TRUE(by_time.Deadline());
  EXPECT_FALSE(by_time.Due(*by_time.Deadline() - std::chrono::milliseconds(1)));
  EXPECT_TRUE(by_time.Due(*by_time.Deadline()));
}

TEST_F(WriteQueueTest, ARefusedWriteDropsTheWholeGroup) {
  // Another writer already started job 0: the queue's start of it (as attempt 1) is refused, and
  // with it every other write of the group, which the store never shows.
  ASSERT_EQ(store_->StartAttempt(ids_[0], {9, "other", "cpu", 1, "inproc"}), 1);
  WriteQueue queue(*store_, {std::chrono::seconds(60), 100});
  queue.StartAttempt(ids_[1], 1, {1, "h", "cpu", 1, "inproc"});
  queue.CommitResult(ids_[1], 1, {{"auc", 0.7}}, {});
  queue.StartAttempt(ids_[0], 1, {1, "h", "cpu", 1, "inproc"});
  EXPECT_THROW(queue.Flush(), WriteQueueConflict);
  EXPECT_EQ(queue.size(), 0u) << "a refused group is not tried again";
  EXPECT_EQ(Seen("SELECT count(*) FROM attempts"), 1);
  EXPECT_EQ(Seen("SELECT count(*) FROM metrics"), 0);
  EXPECT_EQ(Seen("SELECT status = 'pending' FROM jobs WHERE id = " + std::to_string(ids_[1])), 1);
  // A stale result (attempt 2 of a job on attempt 1) is refused the same way.
  WriteQueue stale(*store_, {std::chrono::seconds(60), 100});
  stale.CommitResult(ids_[0], 2, {{"auc", 0.1}}, {});
  EXPECT_THROW(stale.Flush(), WriteQueueConflict);
  EXPECT_EQ(Seen("SELECT count(*) FROM metrics"), 0);
}

TEST_F(WriteQueueTest, OnlyTheLatestProgressOfAnAttemptIsWrittenAndAStaleOneIsRefused) {
  auto epoch = [](int k) {
    return R"({"epoch":)" + std::to_string(k) + R"(,"epochs":3,"first_epoch":1,"metric":"m",)" +
           R"("value":null})";
  };
  WriteQueue queue(*store_, {std::chrono::seconds(60), 100});
  queue.StartAttempt(ids_[0], 1, {1, "h", "cpu", 1, "inproc"});
  queue.StartAttempt(ids_[1], 1, {1, "h", "cpu", 1, "inproc"});
  queue.RecordProgress(ids_[0], 1, epoch(1));
  queue.RecordProgress(ids_[0], 1, epoch(2));  // takes the place of epoch 1
  queue.RecordProgress(ids_[1], 1, epoch(1));
  queue.RecordProgress(ids_[0], 1, epoch(3));  // still the last of job 0's writes: replaces it
  EXPECT_EQ(queue.size(), 4u);
  queue.CommitResult(ids_[0], 1, {{"auc", 0.7}}, {});
  queue.Flush();
  EXPECT_EQ(Seen("SELECT json_extract(progress, '$.epoch') FROM jobs WHERE id = " +
                 std::to_string(ids_[0])),
            3);
  EXPECT_EQ(Seen("SELECT json_extract(progress, '$.epoch') FROM jobs WHERE id = " +
                 std::to_string(ids_[1])),
            1);
  // Job 0 is done: a progress of it, queued late, would write over an ended attempt. Refused,
  // with the whole group.
  queue.RecordProgress(ids_[1], 1, epoch(2));
  queue.RecordProgress(ids_[0], 1, epoch(1));
  EXPECT_THROW(queue.Flush(), WriteQueueConflict);
  EXPECT_EQ(Seen("SELECT json_extract(progress, '$.epoch') FROM jobs WHERE id = " +
                 std::to_string(ids_[1])),
            1);
}

TEST_F(WriteQueueTest, KeepsTheTimesOfTheEventsNotOfTheFlush) {
  WriteQueue queue(*store_, {std::chrono::seconds(60), 100});
  queue.StartAttempt(ids_[0], 1, {1, "h", "cpu", 1, "inproc"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  queue.CommitResult(ids_[0], 1, {{"auc", 0.7}}, {});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  queue.Flush();
  // The results view's wall time is the gap between start and result, not 0 (both flushed at
  // once) nor the 0.6 s until the flush.
  Database other(path_, Database::Mode::kReadOnly);
  Statement s(other, "SELECT seconds FROM results");
  ASSERT_TRUE(s.Step());
  EXPECT_NEAR(s.Double(0), 0.3, 0.1);
}

TEST_F(WriteQueueTest, WhatIsStillQueuedIsWrittenWhenTheQueueGoes) {
  {
    WriteQueue queue(*store_, {std::chrono::seconds(60), 100});
    queue.StartAttempt(ids_[0], 1, {1, "h", "cpu", 1, "inproc"});
  }
  EXPECT_EQ(Seen("SELECT count(*) FROM attempts"), 1);
}

TEST(NestedTransaction, RollsBackOnlyItsOwnWrites) {
  const fs::path path =
      fs::temp_directory_path() / ("attnsweep_nested_" + std::to_string(getpid()));
  fs::remove(path);
  {
    Database db(path.string(), Database::Mode::kReadWriteCreate);
    db.Exec("CREATE TABLE t (x INTEGER)");
    Transaction outer(db);
    db.Exec("INSERT INTO t VALUES (1)");
    {
      Transaction inner(db);
      db.Exec("INSERT INTO t VALUES (2)");
    }  // not committed: undone
    {
      Transaction inner(db);
      db.Exec("INSERT INTO t VALUES (3)");
      inner.Commit();
    }
    outer.Commit();
    Statement s(db, "SELECT group_concat(x) FROM t");
    ASSERT_TRUE(s.Step());
    EXPECT_EQ(s.Text(0), "1,3");
  }
  fs::remove(path);
}

}  // namespace
}  // namespace attnsweep
