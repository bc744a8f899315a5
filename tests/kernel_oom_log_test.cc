// The kernel log's OOM-kill reports, as this machine's kernel (6.18) and older ones write them.
#include "workers/kernel_oom_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace attnsweep {
namespace {

TEST(KernelOomLog, FindsTheKillOfThePidInEachFormOfReport) {
  // From this machine's kernel log after a capped job was OOM-killed, as kmsg records.
  const char* summary =
      "3,2201,5610041237,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
      "mems_allowed=0,oom_memcg=/a/attnsweep-job-30730-30732,task_memcg=/a/attnsweep-job-30730-"
      "30732,task=unit_tests,pid=30732,uid=0";
  const char* memcg =
      "3,2202,5610041257,-;Memory cgroup out of memory: Killed process 30732 (unit_tests) "
      "total-vm:919628kB, anon-rss:123680kB, file-rss:1560kB, shmem-rss:0kB, UID:0";
  const char* node = "3,77,10,-;Out of memory: Killed process 4321 (attnsweep) total-vm:1kB";
  EXPECT_TRUE(ReportsOomKillOf(summary, 30732));
  EXPECT_TRUE(ReportsOomKillOf(memcg, 30732));
  EXPECT_TRUE(ReportsOomKillOf(node, 4321));
  EXPECT_TRUE(ReportsOomKillOf("Out of memory: Killed process 4321 (x)", 4321)) << "plain text";
  // Another pid, one that starts with ours, or ours elsewhere in a line that reports no kill.
  EXPECT_FALSE(ReportsOomKillOf(node, 432));
  EXPECT_FALSE(ReportsOomKillOf(node, 43210));
  EXPECT_FALSE(ReportsOomKillOf(summary, 3073));
  EXPECT_FALSE(ReportsOomKillOf("6,1,1,-;attnsweep[4321]: segfault at 0 ip 0", 4321));
  EXPECT_FALSE(ReportsOomKillOf("6,1,1,-;unit_tests invoked oom-killer: pid 4321", 4321));
}

TEST(KernelOomLog, ACursorReadsOnlyWhatIsLoggedAfterIt) {
  // A file stands in for /dev/kmsg (read whole where kmsg gives a record per read).
  const std::string path = ::testing::TempDir() + "/kmsg_" + std::to_string(getpid());
  std::ofstream(path) << "6,1,1,-;boot\n3,2,2,-;Out of memory: Killed process 777 (a) x\n";
  KernelLogCursor from_start(path.c_str(), /*from_end=*/false);
  EXPECT_EQ(from_start.ReportsOomKill(777), std::optional<bool>(true));
  KernelLogCursor other_pid(path.c_str(), false);
  EXPECT_EQ(other_pid.ReportsOomKill(778), std::optional<bool>(false));
  // Taken at the end, as when a job starts: the old kill of pid 777 is not read, a new one is.
  KernelLogCursor at_end(path.c_str());
  EXPECT_EQ(at_end.ReportsOomKill(777), std::optional<bool>(false)) << "logged before it";
  std::ofstream(path, std::ios::app) << "3,3,3,-;Out of memory: Killed process 777 (b) x\n";
  EXPECT_EQ(at_end.ReportsOomKill(777), std::optional<bool>(true));
  std::filesystem::remove(path);
  EXPECT_EQ(KernelLogCursor(path.c_str()).ReportsOomKill(777), std::nullopt) << "no log to read";
}

}  // namespace
}  // namespace attnsweep
