#include "experiments/memory/heap_tuning.h"

#include <malloc.h>

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

void ReleaseFreeHeapMemory() { malloc_trim(0); }

}  // namespace attnsweep
