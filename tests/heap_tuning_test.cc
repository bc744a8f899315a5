#include "experiments/memory/heap_tuning.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "experiments/memory/process_memory.h"

namespace attnsweep {
namespace {

constexpr size_t kBufferBytes = 4 << 20;
constexpr int kBuffersPerStep = 8;
constexpr int kSteps = 20;
constexpr long kPagesPerStep = kBuffersPerStep * kBufferBytes / 4096;

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Minor page faults of `kSteps` training-like steps (eight 4 MiB activations allocated, written,
// then all freed), counted by the kernel in a child process so that the heap settings of one
// measurement do not leak into the other or into this test binary.
long FaultsOfTrainingLikeSteps(bool tuned) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    if (tuned) KeepFreedBuffersInHeap();
    std::vector<void*> buffers(kBuffersPerStep);
    const long before = MinorFaults();
    for (int step = 0; step < kSteps; ++step) {
      for (auto& buffer : buffers) {
        buffer = std::malloc(kBufferBytes);
        std::memset(buffer, step + 1, kBufferBytes);
      }
      for (auto* buffer : buffers) std::free(buffer);
    }
    const long faults = MinorFaults() - before;
    const bool written = write(fds[1], &faults, sizeof faults) == sizeof faults;
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  long faults = -1;
  if (read(fds[0], &faults, sizeof faults) != sizeof faults) faults = -1;
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  return faults;
}

TEST(HeapTuning, StepsReuseTheLastStepsPagesInsteadOfFaultingThemInAgain) {
  const long untuned = FaultsOfTrainingLikeSteps(false);
  const long tuned = FaultsOfTrainingLikeSteps(true);
  RecordProperty("untuned", untuned);
  RecordProperty("tuned", tuned);
  ASSERT_GE(untuned, 0);
  ASSERT_GE(tuned, 0);
  // glibc's defaults: the freed buffers go back to the kernel, so every step faults them in again
  // (the measurement sees the problem at all).
  EXPECT_GT(untuned, kPagesPerStep * kSteps / 2);
  // Tuned: the first step faults its pages in, later steps reuse them.
  EXPECT_LT(tuned, kPagesPerStep * 2);
}

TEST(HeapTuning, ResettingThePeakGivesKeptFreeMemoryBack) {
  KeepFreedBuffersInHeap();
  {
    std::vector<char> big(16 << 20, 1);  // below the mmap threshold now: from the heap
  }
  if (!ResetPeakRss()) GTEST_SKIP() << "this kernel does not allow resetting VmHWM";
  // What the freed vector kept resident is released before the high-water mark restarts.
  EXPECT_LT(PeakRssBytes(), CurrentRssBytes() + (8 << 20));
}

}  // namespace
}  // namespace attnsweep
