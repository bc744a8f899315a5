// How glibc's heap treats the large, short-lived buffers of training on the CPU.
#pragma once

#include <cstddef>

namespace attnsweep {

// By default glibc serves every block above its mmap threshold with a fresh mmap and unmaps it on
// free, so each of a training step's activation buffers (megabytes: 32 windows x 256 events x 256
// scores) is faulted in page by page again at every step: a million page faults per epoch, a tenth
// of a softmax epoch spent in the kernel (perf, docs/train.md "Speed"). Serving such blocks from
// the heap and keeping freed memory there lets a step reuse the last step's pages. Idempotent.
void KeepFreedBuffersInHeap();

// Asks the kernel to back the whole 2 MB pages inside [data, data + bytes) with huge pages, for a
// buffer about to be written for the first time. Where transparent huge pages are on "madvise"
// (Debian's default) a fresh 1 GiB buffer then costs 512 page faults instead of 262,144, which
// were a third of plain attention's forward pass on two threads (perf). Does nothing for buffers
// under 4 MB or where the kernel declines.
void AdviseHugePages(void* data, size_t bytes);

// Returns the heap's free pages to the kernel (so a resident-memory reading counts live data only).
void ReleaseFreeHeapMemory();

}  // namespace attnsweep
