#include "experiments/memory/heap_tuning.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>

namespace attnsweep {
namespace {

// glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): blocks below it come from
// the heap. Larger ones (a 1,024-event softmax's scores) still get their own mapping.
constexpr int kMmapThresholdBytes = 32 << 20;
// Free memory at the top of the heap kept before glibc gives it back.
constexpr int kTrimThresholdBytes = 1 << 30;

}  // namespace

void KeepFreedBuffersInHeap() {
  // Setting either also stops glibc from moving the thresholds itself.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

void AdviseHugePages(void* data, size_t bytes) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  if (bytes < 2 * kHugePage) return;
  const uintptr_t start = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}

void ReleaseFreeHeapMemory() { malloc_trim(0); }

}  // namespace attnsweep
