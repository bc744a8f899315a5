// The job launcher (workers/job_launcher.h): a forked job process runs a job and reports its
// result over the pipes it was given, the launcher says how it ended, and it takes nothing of this
// process but those pipes. Each test runs in a process of its own under ctest, single-threaded
// when it starts, which the launcher needs.
#include "workers/job_launcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "workers/job_process.h"

namespace attnsweep {
namespace {
namespace fs = std::filesystem;

// The parent pid of a process, from the fourth field of /proc/<pid>/stat.
pid_t ParentOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  char state;
  pid_t parent = -1;
  fields >> state >> parent;
  return parent;
}

class JobLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    launcher_ = JobLauncher::Start(&why);
    if (!launcher_) GTEST_SKIP() << "no launcher in this process: " << why;
    log_ = (fs::temp_directory_path() / ("attnsweep_launcher_" + std::to_string(getpid()) + ".log"))
               .string();
  }
  void TearDown() override { fs::remove(log_); }

  Message SleepJob(int64_t id, double seconds) {
    Message assign;
    assign.type = MessageType::kAssign;
    assign.job_id = id;
    assign.attempt = 1;
    assign.isolation = "process";
    assign.config =
        R"({"seed":1,"sleep":{"seconds":)" + std::to_string(seconds) + R"(},"task":"sleep"})";
    return assign;
  }

  std::optional<Message> AwaitResult(JobProcess& process, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto result = process.PollResult()) return result;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::nullopt;
  }

  std::unique_ptr<JobLauncher> launcher_;
  std::string log_;
};

TEST_F(JobLauncherTest, ForkedProcessRunsJobsAndTheLauncherReportsItsEnd) {
  std::string error;
  auto process = JobProcess::Spawn(log_, 0, 1, launcher_.get(), &error);
  ASSERT_TRUE(process) << error;
  // Not this process's child: the launcher's.
  EXPECT_EQ(waitpid(process->pid(), nullptr, WNOHANG), -1);
  EXPECT_NE(ParentOf(process->pid()), getpid());
  EXPECT_EQ(ParentOf(ParentOf(process->pid())), getpid());

  for (int64_t id : {1, 2}) {  // job after job, as a host-isolation process serves them
    ASSERT_TRUE(process->Send(SleepJob(id, 0.01)));
    auto result = AwaitResult(*process, 30);
    ASSERT_TRUE(result) << "no result for job " << id;
    EXPECT_EQ(result->job_id, id);
    EXPECT_EQ(result->output.outcome, JobOutcome::kDone) << result->output.error;
  }
  EXPECT_FALSE(process->Exited());
  process->Signal(SIGSEGV);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!process->Exited() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(process->Exited());
  EXPECT_EQ(DescribeWaitStatus(process->wait_status()), "killed by SIGSEGV (Segmentation fault)");
  // Its output went to the log it was given.
  std::ifstream log(log_);
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("[job #2 attempt 1"), std::string::npos) << text;
}

TEST_F(JobLauncherTest, AJobProcessHoldsOnlyItsOwnDescriptors) {
  // A descriptor this process had when it started its launcher, open without close-on-exec (as
  // MPI and LibTorch leave some): the job process must not have it.
  const int stray = open("/dev/null", O_RDONLY);
  ASSERT_GE(stray, 0);
  launcher_.reset();
  std::string why;
  launcher_ = JobLauncher::Start(&why);
  ASSERT_TRUE(launcher_) << why;
  std::string error;
  auto process = JobProcess::Spawn(log_, 0, 1, launcher_.get(), &error);
  ASSERT_TRUE(process) << error;
  // Once it has answered a job it has set its descriptors up.
  ASSERT_TRUE(process->Send(SleepJob(1, 0)));
  ASSERT_TRUE(AwaitResult(*process, 30));
  std::set<int> fds;
  for (const auto& entry :
       fs::directory_iterator("/proc/" + std::to_string(process->pid()) + "/fd")) {
    fds.insert(std::stoi(entry.path().filename().string()));
  }
  EXPECT_EQ(fds, (std::set<int>{0, 1, 2, 3}));
  close(stray);
}

}  // namespace
}  // namespace attnsweep
