#include "workers/job_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace attnsweep {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WriteText(const std::string& path, const std::string& text, std::string* why) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (out) return true;
  *why = "cannot write " + path + ": " + std::strerror(errno);
  return false;
}

std::vector<std::string> SplitAt(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// The value of `key` in a file of "key value" lines (memory.events, memory.oom_control).
int64_t Counter(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string name;
  int64_t value = 0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

// Empty cgroups a worker killed by SIGKILL left behind.
void RemoveStaleSiblings(const std::string& parent) {
  std::error_code error;
  for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("attnsweep-job-", 0) == 0) rmdir(it->path().c_str());  // fails unless empty
  }
}

}  // namespace

CgroupParent FindMemoryCgroupParent(const std::string& proc_self_cgroup,
                                    const std::string& mountinfo) {
  // Lines of /proc/self/cgroup: "4:memory:/path" (v1), "0::/path" (v2).
  std::string v1_path, v2_path;
  bool have_v1 = false, have_v2 = false;
  for (const auto& line : SplitAt(proc_self_cgroup, '\n')) {
    const auto fields = SplitAt(line, ':');
    if (fields.size() < 3) continue;
    const std::string path = line.substr(fields[0].size() + fields[1].size() + 2);
    for (const auto& controller : SplitAt(fields[1], ',')) {
      if (controller == "memory") {
        v1_path = path;
        have_v1 = true;
      }
    }
    if (fields[0] == "0" && fields[1].empty()) {
      v2_path = path;
      have_v2 = true;
    }
  }
  // Mount points, from mountinfo's "... mount_point options - fstype source super_options".
  std::string v1_mount, v2_mount;
  for (const auto& line : SplitAt(mountinfo, '\n')) {
    const auto fields = SplitAt(line, ' ');
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 3 > fields.size()) continue;
    const std::string& mount_point = fields[4];
    const std::string& type = fields[dash + 1];
    if (type == "cgroup2") v2_mount = mount_point;
    if (type == "cgroup") {
      for (const auto& option : SplitAt(fields[dash + 3], ',')) {
        if (option == "memory") v1_mount = mount_point;
      }
    }
  }
  if (have_v1 && !v1_mount.empty()) return {v1_mount + (v1_path == "/" ? "" : v1_path), false};
  if (have_v2 && !v2_mount.empty()) {
    const std::string own = v2_mount + (v2_path == "/" ? "" : v2_path);
    // v2 gives its children a memory controller only where the subtree has it enabled.
    std::istringstream controllers(ReadText(own + "/cgroup.subtree_control"));
    std::string controller;
    while (controllers >> controller) {
      if (controller == "memory") return {own, true};
    }
  }
  return {};
}

std::unique_ptr<JobCgroup> JobCgroup::ForProcess(pid_t pid, int64_t limit_bytes, std::string* why) {
  if (const char* wanted = std::getenv("ATTNSWEEP_JOB_CGROUPS");
      wanted && std::string(wanted) == "0") {
    *why = "turned off by ATTNSWEEP_JOB_CGROUPS=0";
    return nullptr;
  }
  static const CgroupParent parent =
      FindMemoryCgroupParent(ReadText("/proc/self/cgroup"), ReadText("/proc/self/mountinfo"));
  if (parent.path.empty()) {
    *why = "no memory cgroup controller this process can use";
    return nullptr;
  }
  static std::atomic<int> made{0};
  if (made.fetch_add(1) == 0) RemoveStaleSiblings(parent.path);
  const std::string path =
      parent.path + "/attnsweep-job-" + std::to_string(getpid()) + "-" + std::to_string(pid);
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    *why = "cannot make " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<JobCgroup> cgroup(new JobCgroup(path, parent.v2));
  if (limit_bytes > 0) {
    const std::string limit = std::to_string(limit_bytes);
    const bool capped = parent.v2 ? WriteText(path + "/memory.max", limit, why) &&
                                        WriteText(path + "/memory.swap.max", "0", why)
                                  : WriteText(path + "/memory.limit_in_bytes", limit, why);
    if (!capped) return nullptr;
  }
  if (!WriteText(path + "/cgroup.procs", std::to_string(pid), why)) return nullptr;
  return cgroup;
}

JobCgroup::~JobCgroup() {
  // A process killed a moment ago may not have left yet: rmdir fails while it is in the cgroup.
  for (int i = 0; i < 100 && rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

bool JobCgroup::ReachedLimit() const {
  if (v2_) return Counter(ReadText(path_ + "/memory.events"), "max") > 0;
  const std::string failures = ReadText(path_ + "/memory.failcnt");
  return !failures.empty() && std::stoll(failures) > 0;
}

int64_t JobCgroup::OomKills() const {
  return v2_ ? Counter(ReadText(path_ + "/memory.events"), "oom_kill")
             : Counter(ReadText(path_ + "/memory.oom_control"), "oom_kill");
}

}  // namespace attnsweep
