#include "experiments/memory/process_memory.h"

#include <fstream>
#include <string>

#include "experiments/memory/heap_tuning.h"

namespace attnsweep {
namespace {
// A field of /proc/<process>/status given in kB, in bytes; -1 when absent.
int64_t StatusFieldBytes(const std::string& field, const std::string& process = "self") {
  std::ifstream status("/proc/" + process + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::stoll(line.substr(field.size() + 1)) * 1024;  // reported in kB
    }
  }
  return -1;
}
}  // namespace

bool ResetPeakRss() {
  // Freed memory the heap keeps for reuse (heap_tuning.h) is not the work's: give it back first.
  ReleaseFreeHeapMemory();
  // Writing 5 to clear_refs resets the peak RSS (Linux >= 4.0).
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

int64_t PeakRssBytes() { return StatusFieldBytes("VmHWM"); }
int64_t CurrentRssBytes() { return StatusFieldBytes("VmRSS"); }
int64_t ResidentBytesOf(int pid) { return StatusFieldBytes("VmRSS", std::to_string(pid)); }

}  // namespace attnsweep
