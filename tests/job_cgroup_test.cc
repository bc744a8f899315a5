// Job cgroups: finding where to make them from /proc's own words, and, where this machine lets a
// test make one, the kernel's OOM-kill count telling an OOM kill from another SIGKILL.
#include "workers/job_cgroup.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace attnsweep {
namespace {

TEST(FindMemoryCgroupParent, CgroupV1MemoryController) {
  const std::string cgroups = "9:name=systemd:/\n4:memory:/jobs/node7\n0::/\n";
  const std::string mounts =
      "30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "31 25 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  const CgroupParent parent = FindMemoryCgroupParent(cgroups, mounts);
  EXPECT_EQ(parent.path, "/sys/fs/cgroup/memory/jobs/node7");
  EXPECT_FALSE(parent.v2);
}

TEST(FindMemoryCgroupParent, NoMemoryControllerMeansNoParent) {
  // v1 without memory; v2 whose subtree has no memory controller to give (no such file here).
  EXPECT_EQ(FindMemoryCgroupParent("3:cpu:/\n",
                                   "30 25 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n")
                .path,
            "");
  EXPECT_EQ(FindMemoryCgroupParent("0::/no/such/cgroup\n",
                                   "31 25 0:28 / /nonexistent rw - cgroup2 cgroup2 rw\n")
                .path,
            "");
}

// A child that waits for the word to go, then touches `megabytes`.
pid_t StartChild(int megabytes, int* go) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    char byte;
    if (read(fds[0], &byte, 1) != 1) _exit(2);
    for (int i = 0; i < megabytes; ++i) {
      char* block = static_cast<char*>(std::malloc(1 << 20));
      if (block == nullptr) _exit(3);
      std::memset(block, 1, 1 << 20);
    }
    pause();
    _exit(0);
  }
  close(fds[0]);
  *go = fds[1];
  return pid;
}

TEST(JobCgroup, CountsAnOomKillAndNothingElse) {
  int go = -1;
  const pid_t hog = StartChild(256, &go);
  ASSERT_GT(hog, 0);
  std::string why;
  auto capped = JobCgroup::ForProcess(hog, 64 << 20, &why);
  if (!capped) {
    kill(hog, SIGKILL);
    waitpid(hog, nullptr, 0);
    GTEST_SKIP() << "no job cgroups on this machine: " << why;
  }
  ASSERT_EQ(write(go, "x", 1), 1);
  int status = 0;
  waitpid(hog, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(capped->OomKills(), 1);

  // A SIGKILL from someone else, under no cap: no OOM kill counted.
  int go_too = -1;
  const pid_t idle = StartChild(1, &go_too);
  auto uncapped = JobCgroup::ForProcess(idle, 0, &why);
  ASSERT_TRUE(uncapped) << why;
  ASSERT_EQ(write(go_too, "x", 1), 1);
  kill(idle, SIGKILL);
  waitpid(idle, nullptr, 0);
  EXPECT_EQ(uncapped->OomKills(), 0);
  close(go);
  close(go_too);
}

}  // namespace
}  // namespace attnsweep
