// A memory cgroup of its own for one job process, where this machine lets the worker make one
// (root, or a delegated subtree; cgroup v1's memory controller, or v2 with memory enabled for the
// worker's children). It does two things a resource limit cannot: it caps what the job uses (its
// resident memory, not the address space it reserves), and it tells an OOM kill from any other
// SIGKILL, since the kernel counts the OOM kills of each cgroup's processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace attnsweep {

class JobCgroup {
 public:
  // Makes a cgroup beside this process's own memory cgroup and moves `pid` into it, capped at
  // `limit_bytes` (0: no cap). nullptr, with `why` set, where cgroups cannot be made here, or where
  // ATTNSWEEP_JOB_CGROUPS=0 says not to (the worker then watches the cap itself).
  static std::unique_ptr<JobCgroup> ForProcess(pid_t pid, int64_t limit_bytes, std::string* why);
  // Removes the cgroup once its processes are gone (waits briefly for a killed one to exit).
  ~JobCgroup();
  JobCgroup(const JobCgroup&) = delete;
  JobCgroup& operator=(const JobCgroup&) = delete;

  // Processes of the cgroup the kernel's OOM killer has killed (over the cap, or under the node's
  // memory pressure).
  int64_t OomKills() const;
  // Whether its memory use has met its cap at least once (v1's failcnt, v2's "max" events).
  bool ReachedLimit() const;
  const std::string& path() const { return path_; }

 private:
  JobCgroup(std::string path, bool v2) : path_(std::move(path)), v2_(v2) {}
  std::string path_;
  bool v2_;
};

// Where this process's job cgroups go: the folder of its own memory cgroup, with whether it is
// cgroup v2, read from `proc_self_cgroup` (/proc/self/cgroup) and the mounts in `mountinfo`
// (/proc/self/mountinfo); "" when there is no memory controller to use.
struct CgroupParent {
  std::string path;
  bool v2 = false;
};
CgroupParent FindMemoryCgroupParent(const std::string& proc_self_cgroup,
                                    const std::string& mountinfo);

}  // namespace attnsweep
