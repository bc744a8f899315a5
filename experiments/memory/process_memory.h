// The process's resident memory from /proc/self, for the rss_mb figure beside the exact peak.
#pragma once

#include <cstdint>

namespace attnsweep {

// Resets the kernel's high-water mark (VmHWM) to the current RSS; false where the kernel refuses.
bool ResetPeakRss();
// VmHWM and VmRSS in bytes; -1 when unavailable.
int64_t PeakRssBytes();
int64_t CurrentRssBytes();
// VmRSS of another process (a worker watching its job process); -1 when unavailable.
int64_t ResidentBytesOf(int pid);

}  // namespace attnsweep
