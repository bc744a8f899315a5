// The coordinator/worker protocol on the in-process transport: no mpirun, real store, real
// messages.
#include "workers/coordinator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "store/readonly_query.h"
#include "tests/grid_test_util.h"
#include "workers/inprocess_transport.h"
#include "workers/stored_jobs.h"
#include "workers/worker.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A sleep job of `seconds` (as the config writes it), keyed `key`.
NewJob SleepJob(const std::string& key, int seed, double cost, const std::string& seconds = "0") {
  return {"e", key,
          R"({"seed":)" + std::to_string(seed) + R"(,"sleep":{"seconds":)" + seconds +
              R"(},"task":"sleep"})",
          cost};
}

// A benchmark that needs its node (or its GPU) to itself while it runs.
NewJob ExclusiveBenchmark(const std::string& key, int seed, double cost) {
  return {
      "e", key,
      R"({"bench":{"exclusive":true},"seed":)" + std::to_string(seed) + R"(,"task":"benchmark"})",
      cost};
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("attnsweep_coord_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    Remove();
    store_ = std::make_unique<ResultStore>(ResultStore::OpenForWriting(path_));
  }
  void TearDown() override {
    store_.reset();
    Remove();
  }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }

  // A batch of sleep jobs of the given costs (sleep.seconds = `seconds` each), its lease held.
  int64_t MakeBatch(const std::vector<double>& costs, double seconds = 0) {
    std::vector<NewJob> jobs;
    for (size_t i = 0; i < costs.size(); ++i) {
      jobs.push_back(SleepJob("key" + std::to_string(i), static_cast<int>(i), costs[i],
                              std::to_string(seconds)));
    }
    return LeasedBatch(jobs);
  }

  // Every start and result reaches the store in the turn it happens (no group commit), so the
  // tests can look at the store between turns (ShortJobsReachTheStoreInGroups groups them).
  CoordinatorOptions Options() {
    CoordinatorOptions options;
    options.lease_owner = kOwner;
    options.store_writes.max_delay = std::chrono::microseconds(0);
    return options;
  }

  // A batch of `jobs`, its lease held as the coordinator needs.
  int64_t LeasedBatch(const std::vector<NewJob>& jobs) {
    const int64_t batch = store_->CreateBatch({"b", "", "", "h", "r", "{}"}, jobs);
    store_->AcquireLease(batch, kOwner, 30, [](const std::string&) { return false; });
    return batch;
  }

  int64_t Count(const std::string& sql) {
    return std::get<int64_t>(RunReadOnlyQuery(store_->db(), sql).rows.at(0).at(0));
  }

  static constexpr const char* kOwner = "test:1";
  std::string path_;
  std::unique_ptr<ResultStore> store_;
};

Message Hello() {
  Message m;
  m.type = MessageType::kHello;
  m.host = "testhost";
  m.pid = 1;
  m.threads = 1;
  m.node_threads = 2;  // two workers of one thread on "testhost"
  return m;
}

Message DoneResult(const Message& assign, double value) {
  Message m;
  m.type = MessageType::kResult;
  m.job_id = assign.job_id;
  m.attempt = assign.attempt;
  m.output.metrics = {{"value", value}};
  return m;
}

// Real workers on host "h" at every endpoint but the coordinator's, each in a thread of its own.
std::vector<std::thread> StartWorkers(std::vector<std::unique_ptr<Transport>>& endpoints) {
  std::vector<std::thread> workers;
  for (size_t rank = 1; rank < endpoints.size(); ++rank) {
    workers.emplace_back([&endpoints, rank] {
      WorkerOptions options;
      options.host = "h";
      EXPECT_EQ(RunWorker(*endpoints[rank], options), 0);
    });
  }
  return workers;
}

// Polls `transport` while turning the coordinator's loop, until a message arrives or time runs out.
std::optional<Received> Await(Coordinator& coordinator, Transport& transport, double seconds = 5) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    coordinator.RunOnce();
    if (auto received = PollMessage(transport)) return received;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::nullopt;
}

// The next message `transport` receives, which must be an assignment: otherwise a test failure
// saying what came instead, and nullopt.
std::optional<Message> AwaitAssign(Coordinator& coordinator, Transport& transport,
                                   double seconds = 5) {
  auto received = Await(coordinator, transport, seconds);
  if (!received) {
    ADD_FAILURE() << "no message within " << seconds << " s";
    return std::nullopt;
  }
  if (received->message.type != MessageType::kAssign) {
    ADD_FAILURE() << "message type " << static_cast<int>(received->message.type)
                  << ", not an assignment";
    return std::nullopt;
  }
  return received->message;
}

TEST_F(CoordinatorTest, HandsOutTheMostExpensiveJobFirst) {
  const int64_t batch = MakeBatch({5, 50, 1, 20, 20, 7});
  auto endpoints = MakeInProcessTransports(2);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  SendMessage(*endpoints[1], 0, Hello());
  std::vector<double> costs;
  for (int i = 0; i < 6; ++i) {
    auto assign = AwaitAssign(coordinator, *endpoints[1]);
    ASSERT_TRUE(assign);
    costs.push_back(Count("SELECT CAST(cost AS INTEGER) FROM jobs WHERE id = " +
                          std::to_string(assign->job_id)) +
                    0.0);
    SendMessage(*endpoints[1], 0, DoneResult(*assign, i));
  }
  EXPECT_EQ(costs, (std::vector<double>{50, 20, 20, 7, 5, 1}));
  auto shutdown = Await(coordinator, *endpoints[1]);
  ASSERT_TRUE(shutdown);
  EXPECT_EQ(shutdown->message.type, MessageType::kShutdown);
  EXPECT_EQ(shutdown->message.exit_code, 0);
  EXPECT_FALSE(coordinator.RunOnce());
  EXPECT_EQ(coordinator.report().done, 6);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'done'"), 6);
  EXPECT_EQ(Count("SELECT status = 'done' AND lease_owner IS NULL FROM batches"), 1);
}

TEST_F(CoordinatorTest, ExclusiveBenchmarksRunAloneOnTheirNode) {
  // An exclusive benchmark (the most expensive job) and two sleep jobs; two workers on one host.
  const int64_t batch = LeasedBatch(
      {ExclusiveBenchmark("bench", 1, 100), SleepJob("s1", 2, 2), SleepJob("s2", 3, 1)});
  auto endpoints = MakeInProcessTransports(3);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  Transport& first = *endpoints[1];
  Transport& second = *endpoints[2];
  SendMessage(first, 0, Hello());
  auto bench = AwaitAssign(coordinator, first);
  ASSERT_TRUE(bench);
  EXPECT_NE(bench->config.find("benchmark"), std::string::npos);
  // The second worker, on the same host, gets nothing while the benchmark runs.
  SendMessage(second, 0, Hello());
  EXPECT_FALSE(Await(coordinator, second, 0.3));
  SendMessage(first, 0, DoneResult(*bench, 1.0));
  // Then the sleep jobs run side by side.
  auto a = AwaitAssign(coordinator, second);
  auto b = AwaitAssign(coordinator, first);
  ASSERT_TRUE(a && b);
  SendMessage(second, 0, DoneResult(*a, 1.0));
  SendMessage(first, 0, DoneResult(*b, 1.0));
  while (coordinator.RunOnce()) {
  }
  EXPECT_EQ(coordinator.report().done, 3);
  // Each job records how many jobs its node ran at once while it ran.
  EXPECT_EQ(Count("SELECT CAST(value AS INTEGER) FROM metrics m JOIN jobs j ON j.id = m.job_id "
                  "WHERE j.job_key = 'bench' AND m.name = 'node_jobs'"),
            1);
  EXPECT_EQ(Count("SELECT min(CAST(value AS INTEGER)) FROM metrics m JOIN jobs j ON j.id = "
                  "m.job_id WHERE j.job_key != 'bench' AND m.name = 'node_jobs'"),
            2);
}

TEST_F(CoordinatorTest, AJobWithTheNodeToItselfGetsEveryWorkersThreads) {
  // Two workers of 1 thread each on one host: the exclusive benchmark gets the node's 2 threads,
  // and the sleep job after it the worker's own 1.
  const int64_t batch = LeasedBatch({ExclusiveBenchmark("bench", 1, 100), SleepJob("s1", 2, 1)});
  auto endpoints = MakeInProcessTransports(3);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  // The first worker to say hello gets the benchmark at once, with the node's threads, before the
  // second worker has said hello.
  SendMessage(*endpoints[1], 0, Hello());
  auto bench = AwaitAssign(coordinator, *endpoints[1]);
  SendMessage(*endpoints[2], 0, Hello());
  ASSERT_TRUE(bench);
  EXPECT_NE(bench->config.find("benchmark"), std::string::npos);
  EXPECT_EQ(bench->threads, 2);
  SendMessage(*endpoints[1], 0, DoneResult(*bench, 1.0));
  auto sleep = Await(coordinator, *endpoints[1]);
  if (!sleep) sleep = Await(coordinator, *endpoints[2]);
  ASSERT_TRUE(sleep);
  ASSERT_EQ(sleep->message.type, MessageType::kAssign);
  EXPECT_EQ(sleep->message.threads, 1);
  EXPECT_EQ(Count("SELECT threads FROM jobs WHERE job_key = 'bench'"), 2);
}

TEST_F(CoordinatorTest, ExclusiveBenchmarksOnGpusHoldTheirGpuNotTheNode) {
  // Two workers on one host, one per GPU: two exclusive benchmarks run at once, one on each GPU,
  // each with its worker's own thread (the node's cores are not theirs to take).
  const int64_t batch =
      LeasedBatch({ExclusiveBenchmark("b1", 1, 100), ExclusiveBenchmark("b2", 2, 90),
                   ExclusiveBenchmark("b3", 3, 80)});
  auto endpoints = MakeInProcessTransports(3);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  Message on_gpu0 = Hello(), on_gpu1 = Hello();
  on_gpu0.device = "cuda:0";
  on_gpu1.device = "cuda:1";
  SendMessage(*endpoints[1], 0, on_gpu0);
  SendMessage(*endpoints[2], 0, on_gpu1);
  auto first = AwaitAssign(coordinator, *endpoints[1]);
  auto second = AwaitAssign(coordinator, *endpoints[2]);
  ASSERT_TRUE(first && second) << "both GPUs run an exclusive benchmark at once";
  EXPECT_EQ(first->device, "cuda:0");
  EXPECT_EQ(second->device, "cuda:1");
  EXPECT_EQ(first->threads, 1);
  EXPECT_EQ(second->threads, 1);
  // The third waits for a GPU to be free, and goes to the first that is.
  EXPECT_FALSE(Await(coordinator, *endpoints[1], 0.2));
  SendMessage(*endpoints[2], 0, DoneResult(*second, 1.0));
  auto third = Await(coordinator, *endpoints[2]);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->message.device, "cuda:1");
  SendMessage(*endpoints[1], 0, DoneResult(*first, 1.0));
  SendMessage(*endpoints[2], 0, DoneResult(third->message, 1.0));
  while (coordinator.RunOnce()) {
  }
  EXPECT_EQ(coordinator.report().done, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE device = 'cuda:1'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE device = 'cuda:0'"), 1);
  EXPECT_EQ(Count("SELECT max(CAST(value AS INTEGER)) FROM metrics WHERE name = 'node_jobs'"), 1);
}

TEST_F(CoordinatorTest, NoWorkerThatCanRunJobsEndsTheSweepForResume) {
  // Both workers refused --device cuda: the sweep ends at once, exit 4, every job still pending.
  const int64_t batch = MakeBatch({3, 2});
  auto endpoints = MakeInProcessTransports(3);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  Message refused = Hello();
  refused.device = "";
  refused.device_error = "--device cuda: no GPU is visible here";
  SendMessage(*endpoints[1], 0, refused);
  SendMessage(*endpoints[2], 0, refused);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (coordinator.RunOnce() && Clock::now() < deadline) {
  }
  EXPECT_EQ(coordinator.report().end, SweepEnd::kNoWorkers);
  EXPECT_EQ(coordinator.report().exit_code, 4);
  for (auto* endpoint : {endpoints[1].get(), endpoints[2].get()}) {
    auto shutdown = PollMessage(*endpoint);
    ASSERT_TRUE(shutdown);
    EXPECT_EQ(shutdown->message.type, MessageType::kShutdown);
    EXPECT_EQ(shutdown->message.exit_code, 4);
  }
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'pending'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts"), 0);
  EXPECT_EQ(Count("SELECT status = 'interrupted' AND lease_owner IS NULL FROM batches"), 1);
}

TEST_F(CoordinatorTest, SilentWorkerLosesItsAttemptToAnotherWorker) {
  const int64_t batch = MakeBatch({10, 1});
  auto endpoints = MakeInProcessTransports(3);
  CoordinatorOptions options = Options();
  options.worker_timeout_s = 0.3;
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  Transport& silent = *endpoints[1];
  Transport& good = *endpoints[2];

  SendMessage(silent, 0, Hello());
  auto taken = AwaitAssign(coordinator, silent);  // the expensive job goes to rank 1, gone quiet
  ASSERT_TRUE(taken);
  SendMessage(good, 0, Hello());
  std::vector<int64_t> done_by_good;
  for (int i = 0; i < 2; ++i) {
    auto assign = AwaitAssign(coordinator, good);
    ASSERT_TRUE(assign) << "the silent worker's job must reach the good one";
    done_by_good.push_back(assign->job_id);
    SendMessage(good, 0, DoneResult(*assign, 1.0));
  }
  EXPECT_NE(std::find(done_by_good.begin(), done_by_good.end(), taken->job_id), done_by_good.end());
  EXPECT_FALSE(coordinator.RunOnce() && coordinator.RunOnce());
  EXPECT_EQ(coordinator.report().lost, 1);

  EXPECT_EQ(Count("SELECT count(*) FROM metrics WHERE name = 'value'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'done'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'done'"), 2);
}

TEST_F(CoordinatorTest, LateResultOfAnAbandonedAttemptIsDropped) {
  const int64_t batch = MakeBatch({10});
  auto endpoints = MakeInProcessTransports(3);
  CoordinatorOptions options = Options();
  options.worker_timeout_s = 0.3;
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  SendMessage(*endpoints[1], 0, Hello());
  auto first = Await(coordinator, *endpoints[1]);
  ASSERT_TRUE(first);
  SendMessage(*endpoints[2], 0, Hello());
  auto second = Await(coordinator, *endpoints[2]);  // after rank 1 timed out
  ASSERT_TRUE(second);
  ASSERT_EQ(second->message.job_id, first->message.job_id);
  EXPECT_EQ(second->message.attempt, first->message.attempt + 1);
  // Rank 1's result arrives late, before rank 2's: dropped; rank 2's is the one stored.
  SendMessage(*endpoints[1], 0, DoneResult(first->message, 99.0));
  coordinator.RunOnce();
  EXPECT_EQ(coordinator.report().stale_dropped, 1);
  SendMessage(*endpoints[2], 0, DoneResult(second->message, 2.0));
  while (coordinator.RunOnce()) {
  }
  EXPECT_EQ(Count("SELECT count(*) FROM metrics WHERE name = 'value'"), 1);
  EXPECT_EQ(Count("SELECT CAST(value AS INTEGER) FROM metrics WHERE name = 'value'"), 2);
}

TEST_F(CoordinatorTest, RealWorkersShareTheBatch) {
  const int64_t batch = MakeBatch(std::vector<double>(8, 1.0), 0.05);
  auto endpoints = MakeInProcessTransports(3);
  std::vector<std::thread> workers = StartWorkers(endpoints);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  const SweepReport& report = coordinator.Run();
  for (auto& w : workers) w.join();
  EXPECT_EQ(report.end, SweepEnd::kFinished);
  EXPECT_EQ(report.done, 8);
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_EQ(report.ranks_used.size(), 2u) << "both workers ran jobs";
  EXPECT_EQ(Count("SELECT count(DISTINCT rank) FROM attempts"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM metrics WHERE name = 'seconds' AND value >= 0.05"), 8);
  EXPECT_LT(report.coordinator_cpu_s, 0.5 * report.wall_s) << "the loop must not spin";
}

TEST_F(CoordinatorTest, ShortJobsReachTheStoreInGroups) {
  const int64_t batch = MakeBatch(std::vector<double>(60, 1.0));
  auto endpoints = MakeInProcessTransports(3);
  std::vector<std::thread> workers = StartWorkers(endpoints);
  CoordinatorOptions options = Options();
  options.store_writes = {std::chrono::seconds(60), 8};  // groups of 8 writes
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  const SweepReport& report = coordinator.Run();
  for (auto& w : workers) w.join();
  EXPECT_EQ(report.done, 60);
  EXPECT_EQ(report.store_writes, 120) << "a start and a result per job";
  EXPECT_LE(report.store_groups, 120 / 8 + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'done'"), 60);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'done'"), 60);
  EXPECT_EQ(Count("SELECT count(*) FROM metrics WHERE name = 'seconds'"), 60);
}

TEST_F(CoordinatorTest, InterruptMarksInFlightAttemptsAndShutsWorkersDown) {
  const int64_t batch = MakeBatch({3, 2, 1}, 30);
  auto endpoints = MakeInProcessTransports(2);
  std::atomic<bool> interrupt{false};
  int worker_exit = -1;
  std::thread worker([&] {
    WorkerOptions options;
    options.interrupt_requested = [&] { return interrupt.load(); };
    worker_exit = RunWorker(*endpoints[1], options);
  });
  CoordinatorOptions options = Options();
  options.interrupt_requested = [&] { return interrupt.load(); };
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  for (int i = 0; i < 200 && Count("SELECT count(*) FROM jobs WHERE status = 'running'") == 0;
       ++i) {
    coordinator.RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'running'"), 1);
  interrupt = true;
  const auto start = Clock::now();
  EXPECT_FALSE(coordinator.RunOnce());
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 1.0);
  worker.join();
  EXPECT_EQ(worker_exit, 130);
  EXPECT_EQ(coordinator.report().exit_code, 130);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'running'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'pending'"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'interrupted'"), 1);
  EXPECT_EQ(Count("SELECT status = 'interrupted' AND lease_owner IS NULL FROM batches"), 1);
}

TEST_F(CoordinatorTest, StopRequestDrains) {
  const int64_t batch = MakeBatch({3, 2, 1}, 0.2);
  auto endpoints = MakeInProcessTransports(2);
  std::thread worker([&] { RunWorker(*endpoints[1], WorkerOptions()); });
  CoordinatorOptions options = Options();
  options.stop_poll_s = 0.01;
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  for (int i = 0; i < 200 && Count("SELECT count(*) FROM jobs WHERE status = 'running'") == 0;
       ++i) {
    coordinator.RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  store_->RequestStop(batch);
  coordinator.Run();
  worker.join();
  EXPECT_EQ(coordinator.report().end, SweepEnd::kDrained);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'done'"), 1)
      << "the running job finished";
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE status = 'pending'"), 2);
  EXPECT_EQ(Count("SELECT status = 'stopped' AND stop_requested_at IS NULL FROM batches"), 1);
}

TEST_F(CoordinatorTest, LostLeaseStopsTheCoordinator) {
  const int64_t batch = MakeBatch({1}, 5);
  auto endpoints = MakeInProcessTransports(2);
  CoordinatorOptions options = Options();
  options.lease_renew_s = 0;
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  store_->ReleaseLease(batch, kOwner);
  store_->AcquireLease(batch, "other:2", 30, [](const std::string&) { return false; });
  EXPECT_FALSE(coordinator.RunOnce());
  EXPECT_EQ(coordinator.report().end, SweepEnd::kLeaseLost);
  EXPECT_EQ(coordinator.report().exit_code, 3);
}

// A heartbeat that says where its job is (a training job's epoch).
Message ProgressHeartbeat(const Message& assign, int64_t epoch, int64_t epochs) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.job_id = assign.job_id;
  m.attempt = assign.attempt;
  m.progress = JobProgress();
  m.progress->epoch = epoch;
  m.progress->epochs = epochs;
  m.progress->metric = "val_auc";
  m.progress->value = 0.5 + 0.01 * static_cast<double>(epoch);
  return m;
}

// A heartbeat of a job under a scheduler, at `epoch`, with validation AUC `value`.
Message FigureHeartbeat(const Message& assign, int64_t epoch, double value) {
  Message m = ProgressHeartbeat(assign, epoch, 9);
  m.progress->value = value;
  return m;
}

// The next message, which must be a decision: what it says, or nullopt with a test failure.
std::optional<Message> AwaitDecision(Coordinator& coordinator, Transport& transport) {
  auto received = Await(coordinator, transport);
  if (!received || received->message.type != MessageType::kDecision) {
    ADD_FAILURE() << (received ? "another message than a decision" : "no decision within 5 s");
    return std::nullopt;
  }
  return received->message;
}

// Three train jobs of one ASHA group (grace 1, reduction 3, 9 epochs: rungs 1 and 3), run by
// scripted workers. The coordinator dies after two decisions; a second one, on the same store,
// replays them: the third job is judged against both (and stopped), not alone (which would let it
// go on), and a resumed job asking again about a judged epoch gets the answer it had.
TEST_F(CoordinatorTest, EarlyStoppingDecisionsAreStoredAndAResumedCoordinatorGoesOnFromThem) {
  JobPlan plan;
  plan.task = "train";
  EarlyStopping stopping;
  stopping.rule = {RungRule::Type::kAsha, /*higher_is_better=*/true, /*grace=*/1,
                   /*max_epochs=*/9, /*reduction=*/3};
  stopping.metric = "val_auc";
  stopping.group = "tune: model.attention=softmax";
  plan.early_stopping = stopping;
  std::vector<NewJob> jobs;
  for (int i = 1; i <= 3; ++i) {
    jobs.push_back({"tune", "k" + std::to_string(i),
                    R"({"seed":)" + std::to_string(i) + R"(,"task":"train"})", 10.0 - i, "{}",
                    plan.ToJson().dump()});
  }
  const int64_t batch = LeasedBatch(jobs);
  auto endpoints = MakeInProcessTransports(3);
  Transport& one = *endpoints[1];
  Transport& two = *endpoints[2];
  {
    Coordinator first(*endpoints[0], *store_, batch, Options());
    SendMessage(one, 0, Hello());
    auto job1 = AwaitAssign(first, one);
    SendMessage(two, 0, Hello());
    auto job2 = AwaitAssign(first, two);
    ASSERT_TRUE(job1 && job2);
    EXPECT_EQ(job1->decision_epochs, (std::vector<int64_t>{1, 3}));
    SendMessage(one, 0, FigureHeartbeat(*job1, 1, 0.6));
    auto decided = AwaitDecision(first, one);
    ASSERT_TRUE(decided);
    EXPECT_EQ(decided->job_id, job1->job_id);
    EXPECT_EQ(decided->epoch, 1);
    EXPECT_TRUE(decided->go_on);
    SendMessage(two, 0, FigureHeartbeat(*job2, 1, 0.7));
    decided = AwaitDecision(first, two);
    ASSERT_TRUE(decided);
    EXPECT_TRUE(decided->go_on) << "2 reached epoch 1, the top 1 go on, and it is the best";
    // Between rungs nothing is decided.
    SendMessage(one, 0, FigureHeartbeat(*job1, 2, 0.65));
    EXPECT_FALSE(Await(first, one, 0.3));
  }  // killed: nothing more of it reaches the store
  EXPECT_EQ(Count("SELECT count(*) FROM rung_decisions"), 2);
  store_->RequeueRunning(batch, 2);

  Coordinator second(*endpoints[0], *store_, batch, Options());
  EXPECT_EQ(second.report().started, 0);
  SendMessage(one, 0, Hello());
  auto again1 = AwaitAssign(second, one);
  ASSERT_TRUE(again1);
  EXPECT_EQ(again1->job_id, 1);
  EXPECT_EQ(again1->attempt, 2);
  // Resumed from its checkpoint at epoch 1 it asks again (with a figure of its own): the answer
  // it had, stored once.
  SendMessage(one, 0, FigureHeartbeat(*again1, 1, 0.1));
  auto decided = AwaitDecision(second, one);
  ASSERT_TRUE(decided);
  EXPECT_TRUE(decided->go_on);
  SendMessage(one, 0, DoneResult(*again1, 1));
  auto again2 = AwaitAssign(second, one);
  ASSERT_TRUE(again2);
  SendMessage(one, 0, DoneResult(*again2, 1));
  auto job3 = AwaitAssign(second, one);
  ASSERT_TRUE(job3);
  EXPECT_EQ(job3->job_id, 3);
  SendMessage(one, 0, FigureHeartbeat(*job3, 1, 0.5));
  decided = AwaitDecision(second, one);
  ASSERT_TRUE(decided);
  EXPECT_FALSE(decided->go_on) << "3 reached epoch 1 (two before the kill), both better";
  const auto stored = store_->RungDecisions(batch);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].job_id, 1);
  EXPECT_EQ(stored[0].attempt, 1);
  EXPECT_EQ(stored[0].value, 0.6);
  EXPECT_EQ(stored[2].job_id, 3);
  EXPECT_FALSE(stored[2].go_on);
  EXPECT_EQ(stored[2].reached, 3);
  EXPECT_EQ(stored[2].better, 2);
  EXPECT_EQ(stored[2].allowed, 1);
  EXPECT_EQ(stored[2].threshold, 0.7);
  EXPECT_EQ(stored[2].group, "tune: model.attention=softmax");
  EXPECT_EQ(stored[2].reason, "epoch 1: 2 jobs of 3 better, the top 1 go on");
}

TEST_F(CoordinatorTest, ProgressOfTheCurrentAttemptOnlyReachesTheStore) {
  const int64_t batch = MakeBatch({10});
  auto endpoints = MakeInProcessTransports(2);
  Coordinator coordinator(*endpoints[0], *store_, batch, Options());
  SendMessage(*endpoints[1], 0, Hello());
  auto assign = AwaitAssign(coordinator, *endpoints[1]);
  ASSERT_TRUE(assign);
  const std::string epoch_of_job =
      "SELECT COALESCE(json_extract(progress, '$.epoch'), 0) FROM jobs";
  SendMessage(*endpoints[1], 0, ProgressHeartbeat(*assign, 2, 5));
  coordinator.RunOnce();
  EXPECT_EQ(Count(epoch_of_job), 2);
  EXPECT_EQ(Count("SELECT json_extract(progress, '$.metric') = 'val_auc' AND "
                  "json_extract(progress, '$.epochs') = 5 AND "
                  "json_extract(progress, '$.at') IS NOT NULL FROM jobs"),
            1);
  // Heartbeats of another attempt (a late one of an attempt given up on) move nothing.
  Message stale = ProgressHeartbeat(*assign, 4, 5);
  stale.attempt += 1;
  SendMessage(*endpoints[1], 0, stale);
  coordinator.RunOnce();
  EXPECT_EQ(Count(epoch_of_job), 2);
  SendMessage(*endpoints[1], 0, ProgressHeartbeat(*assign, 5, 5));
  SendMessage(*endpoints[1], 0, DoneResult(*assign, 1.0));
  while (coordinator.RunOnce()) {
  }
  EXPECT_EQ(coordinator.report().done, 1);
  EXPECT_EQ(Count(epoch_of_job), 5) << "the last word stays once the job is done";
}

// A real train job in a real worker's thread: each epoch reaches the store while the job runs
// (not only at the 2 s heartbeat), and the last one stays, epoch = epochs, with the figure of its
// validation curve.
TEST_F(CoordinatorTest, ATrainJobsEpochsReachTheStoreWhileItRuns) {
  const Grid grid = MustParse(R"(experiments:
  - name: t
    task: train
    params:
      data: {customers: 600, max_len: 32, signal: 3}
      model: {attention: softmax, d_model: 16, heads: 2, layers: 1, ff_dim: 32}
      train: {epochs: 4, batch_size: 32, patience: 0}
)");
  ASSERT_EQ(grid.jobs.size(), 1u);
  const JobSpec& spec = grid.jobs[0];
  const int64_t batch =
      LeasedBatch({{spec.experiment, spec.job_key, spec.config.dump(), spec.plan.estimate_s,
                    spec.limits.dump(), spec.plan.ToJson().dump()}});
  const std::string cache = path_ + ".cache";  // the prepared data, removed with the test
  setenv("ATTNSWEEP_CACHE", cache.c_str(), 1);
  auto endpoints = MakeInProcessTransports(2);
  std::vector<std::thread> workers = StartWorkers(endpoints);
  CoordinatorOptions options = Options();
  options.isolation = "inproc";
  Coordinator coordinator(*endpoints[0], *store_, batch, options);
  std::set<int64_t> seen_running;  // epochs the store showed while the job ran
  while (coordinator.RunOnce()) {
    const auto row = RunReadOnlyQuery(store_->db(),
                                      "SELECT json_extract(progress, '$.epoch') FROM jobs WHERE "
                                      "status = 'running' AND progress IS NOT NULL")
                         .rows;
    if (!row.empty()) seen_running.insert(std::get<int64_t>(row[0][0]));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& w : workers) w.join();
  fs::remove_all(cache);
  unsetenv("ATTNSWEEP_CACHE");
  ASSERT_EQ(coordinator.report().done, 1);
  EXPECT_FALSE(seen_running.empty()) << "no epoch reached the store before the job ended";
  EXPECT_EQ(Count("SELECT json_extract(progress, '$.epoch') = 4 AND "
                  "json_extract(progress, '$.epochs') = 4 AND "
                  "json_extract(progress, '$.first_epoch') = 1 FROM jobs"),
            1);
  EXPECT_EQ(Count("SELECT json_extract(j.progress, '$.metric') = 'val_auc' AND "
                  "abs(json_extract(j.progress, '$.value') - c.value) < 1e-12 FROM jobs j "
                  "JOIN curves c ON c.job_id = j.id AND c.name = 'val_auc' AND c.step = 4"),
            1);
}

// `status`'s ETA from the store: a running job's epochs left at its pace, and jobs that need
// their node counted whole on it. The old ETA said 0 s for the running job (past its estimate)
// and half the exclusive work (spread over two workers).
TEST_F(CoordinatorTest, StoredEtaCountsEpochsLeftAndExclusiveJobsWhole) {
  JobPlan bench;
  bench.task = "benchmark";
  bench.cost_group = "benchmark/softmax";
  bench.needs_node = true;
  bench.estimate_s = 10;
  JobPlan train;
  train.task = "train";
  train.cost_group = "train/softmax";
  train.estimate_s = 1;  // far below what it really takes
  std::vector<NewJob> jobs;
  for (int i = 0; i < 6; ++i) {
    jobs.push_back({"e", "bench" + std::to_string(i), R"({"task":"benchmark"})", 10, "{}",
                    bench.ToJson().dump()});
  }
  jobs.push_back({"e", "train", R"({"task":"train"})", 1, "{}", train.ToJson().dump()});
  const int64_t batch = LeasedBatch(jobs);
  store_->SetBatchWorkers(batch, 2);
  int64_t train_id = 0;
  for (const JobRecord& job : store_->PendingJobs(batch)) {
    if (job.job_key == "train") train_id = job.id;
  }
  ASSERT_EQ(store_->StartAttempt(train_id, {1, "h", "cpu", 1, "inproc"},
                                 std::chrono::system_clock::now() - std::chrono::seconds(100)),
            1);
  const CostModel analytic;
  // No progress yet: past its estimate, it still has a tenth of its time so far (10 s) left,
  // and the six benchmarks run one at a time on the one node after it: 70 s.
  auto eta = BatchEtaSeconds(*store_, batch, analytic);
  ASSERT_TRUE(eta);
  EXPECT_NEAR(*eta, 10 + 60, 1);
  // Epoch 1 of 5 took its 100 s: 4 more and the test pass, 410 s; then the benchmarks.
  ASSERT_TRUE(store_->RecordProgress(
      train_id, 1, R"({"epoch":1,"epochs":5,"first_epoch":1,"metric":"val_auc","value":0.6})"));
  eta = BatchEtaSeconds(*store_, batch, analytic);
  ASSERT_TRUE(eta);
  EXPECT_NEAR(*eta, 410 + 60, 2);
  // Two nodes of a worker each: the benchmarks run on the other node meanwhile.
  store_->SetBatchNodes(batch, 2);
  eta = BatchEtaSeconds(*store_, batch, analytic);
  ASSERT_TRUE(eta);
  EXPECT_NEAR(*eta, 410, 2);
}

// What a done job's time is compared with: the estimate of the epochs its last attempt ran.
TEST(CostModelHistory, AJobAStopStoppedOrAResumeBeganLateIsTimedForTheEpochsItRan) {
  JobPlan plan;
  plan.estimate_s = 90;  // for 9 epochs
  const auto progress = [](int64_t first, int64_t epoch) {
    JobProgress p;
    p.first_epoch = first;
    p.epoch = epoch;
    p.epochs = 9;
    return std::optional<JobProgress>(p);
  };
  // Without a scheduler a job that ended early (patience) keeps its whole estimate.
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(1, 3)), 90);
  EXPECT_EQ(EstimateOfWhatRan(plan, std::nullopt), 90);
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(4, 9)), 60);  // resumed at epoch 4: 6 of 9 ran
  plan.early_stopping = EarlyStopping();
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(1, 3)), 30);  // stopped at 3
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(1, 9)), 90);  // never stopped
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(2, 3)), 20);  // resumed at 2, stopped at 3
  // A resumed attempt stopped at once (its checkpoint's epoch): one epoch's worth, not nothing.
  EXPECT_EQ(EstimateOfWhatRan(plan, progress(4, 3)), 10);
}

// A message's JSON of today's protocol version: `rest` is what follows the version.
std::string Versioned(const std::string& rest) {
  return R"({"v": )" + std::to_string(kProtocolVersion) + ", " + rest;
}

TEST(Messages, RoundTripAndValidation) {
  Message result;
  result.type = MessageType::kResult;
  result.job_id = 4;
  result.attempt = 2;
  result.output.outcome = JobOutcome::kDiverged;
  result.output.error = "loss is nan";
  result.output.metrics = {{"loss", std::nan("")}, {"auc", 0.75}};
  result.output.curves = {{1, "loss", 0.5}};
  std::string error;
  auto decoded = DecodeMessage(EncodeMessage(result), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->type, MessageType::kResult);
  EXPECT_EQ(decoded->output.outcome, JobOutcome::kDiverged);
  EXPECT_TRUE(std::isnan(decoded->output.metrics[0].second));
  EXPECT_EQ(decoded->output.metrics[1].second, 0.75);
  EXPECT_EQ(decoded->output.curves[0].name, "loss");

  EXPECT_FALSE(DecodeMessage("garbage", &error));
  EXPECT_EQ(error, "not a JSON object");
  EXPECT_FALSE(DecodeMessage(R"({"v": 99, "type": "hello"})", &error));
  EXPECT_NE(error.find("protocol version 99, expected " + std::to_string(kProtocolVersion)),
            std::string::npos)
      << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "launch"})"), &error));
  EXPECT_EQ(error, "unknown message type 'launch'");
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "assign", "job_id": 3})"), &error));
  EXPECT_NE(error.find("malformed assign message"), std::string::npos) << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "assign", "job_id": 0, "attempt": 1,
      "config": "{}", "isolation": "inproc", "timeout_s": 0, "memory_bytes": 0, "checkpoint": "",
      "threads": 1, "device": "cpu", "decision_epochs": []})"),
                             &error));
  EXPECT_NE(error.find("without a valid job id"), std::string::npos) << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "assign", "job_id": 1, "attempt": 1,
      "config": "{}", "isolation": "docker", "timeout_s": 0, "memory_bytes": 0, "checkpoint": "",
      "threads": 1, "device": "cpu", "decision_epochs": []})"),
                             &error));
  EXPECT_EQ(error, "unknown isolation 'docker'");

  // A worker's device and why it has none travel in its hello; a job's device in its assignment.
  Message hello = Hello();
  hello.device = "";
  hello.device_error = "--device cuda: no GPU is visible here";
  decoded = DecodeMessage(EncodeMessage(hello), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->device_error, hello.device_error);
  Message assign;
  assign.type = MessageType::kAssign;
  assign.job_id = 1;
  assign.attempt = 1;
  assign.device = "cuda:3";
  assign.decision_epochs = {1, 3, 9};
  decoded = DecodeMessage(EncodeMessage(assign), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->device, "cuda:3");
  EXPECT_EQ(decoded->decision_epochs, (std::vector<int64_t>{1, 3, 9}));

  // An early-stopping decision, coordinator -> worker -> job process.
  Message decision;
  decision.type = MessageType::kDecision;
  decision.job_id = 5;
  decision.attempt = 2;
  decision.epoch = 3;
  decision.go_on = false;
  decision.reason = "epoch 3: 2 jobs of 4 better, the top 2 go on";
  decoded = DecodeMessage(EncodeMessage(decision), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->type, MessageType::kDecision);
  EXPECT_EQ(decoded->job_id, 5);
  EXPECT_EQ(decoded->attempt, 2);
  EXPECT_EQ(decoded->epoch, 3);
  EXPECT_FALSE(decoded->go_on);
  EXPECT_EQ(decoded->reason, decision.reason);
  EXPECT_FALSE(
      DecodeMessage(Versioned(R"("type": "decision", "job_id": 5, "attempt": 2})"), &error));
  EXPECT_NE(error.find("malformed decision message"), std::string::npos) << error;
}

TEST(Messages, ProgressTravelsInFramesAndHeartbeatsAndIsValidated) {
  Message assign;
  assign.job_id = 7;
  assign.attempt = 2;
  std::string error;
  // A heartbeat of a job that has said nothing carries no progress.
  Message quiet = ProgressHeartbeat(assign, 1, 1);
  quiet.progress.reset();
  auto decoded = DecodeMessage(EncodeMessage(quiet), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_FALSE(decoded->progress);
  // One that has: every field, a NaN value as null and back.
  Message beat = ProgressHeartbeat(assign, 3, 10);
  beat.progress->first_epoch = 2;
  beat.progress->value = std::nan("");
  decoded = DecodeMessage(EncodeMessage(beat), &error);
  ASSERT_TRUE(decoded) << error;
  ASSERT_TRUE(decoded->progress);
  EXPECT_EQ(*decoded->progress, *beat.progress);
  EXPECT_EQ(decoded->progress->first_epoch, 2);
  EXPECT_TRUE(std::isnan(decoded->progress->value));
  // The job process's frame to its worker.
  Message frame = ProgressHeartbeat(assign, 4, 10);
  frame.type = MessageType::kProgress;
  decoded = DecodeMessage(EncodeMessage(frame), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->type, MessageType::kProgress);
  EXPECT_EQ(decoded->job_id, 7);
  EXPECT_EQ(decoded->attempt, 2);
  EXPECT_EQ(decoded->progress->epoch, 4);
  EXPECT_EQ(decoded->progress->metric, "val_auc");

  EXPECT_FALSE(
      DecodeMessage(Versioned(R"("type": "progress", "job_id": 7, "attempt": 2})"), &error))
      << "a progress frame says where the job is";
  EXPECT_NE(error.find("malformed progress message"), std::string::npos) << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "heartbeat", "job_id": 7, "attempt": 2,
      "progress": {"epoch": 11, "epochs": 10, "first_epoch": 1, "metric": "m", "value": 1}})"),
                             &error));
  EXPECT_NE(error.find("heartbeat message with a bad progress: progress epochs out of order"),
            std::string::npos)
      << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "heartbeat", "job_id": 7, "attempt": 2,
      "progress": {"epoch": 1, "epochs": 1, "first_epoch": 1, "metric": "m", "value": "high"}})"),
                             &error));
  EXPECT_NE(error.find("a value (a number or null)"), std::string::npos) << error;
  EXPECT_FALSE(DecodeMessage(Versioned(R"("type": "heartbeat", "job_id": 7, "attempt": 2,
      "progress": "epoch 1"})"),
                             &error));
  EXPECT_NE(error.find("progress is not a JSON object"), std::string::npos) << error;
  frame.job_id = 0;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(frame), &error));
  EXPECT_NE(error.find("without a valid job id"), std::string::npos) << error;
}

}  // namespace
}  // namespace attnsweep
