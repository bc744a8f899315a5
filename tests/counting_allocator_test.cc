#include "experiments/memory/counting_allocator.h"
#include "experiments/memory/peak_memory_measure.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "experiments/memory/process_memory.h"

namespace attnsweep {
namespace {

TEST(CountingAllocator, CountsExactBytesAndFrees) {
  CpuMemoryCounter::Install();
  ASSERT_TRUE(CpuMemoryCounter::Installed());
  const int64_t before = CpuMemoryCounter::CurrentBytes();
  {
    auto t = at::empty({1000, 257}, at::kFloat);
    EXPECT_EQ(CpuMemoryCounter::CurrentBytes() - before, 1000 * 257 * 4);
    auto u = at::empty({10}, at::kDouble);
    EXPECT_EQ(CpuMemoryCounter::CurrentBytes() - before, 1000 * 257 * 4 + 80);
  }
  EXPECT_EQ(CpuMemoryCounter::CurrentBytes(), before);
}

TEST(CountingAllocator, PeakAboveBaselineOfAComputation) {
  CpuMemoryCounter::Install();
  auto keep = at::ones({1 << 20});  // 4 MiB allocated before the measure: not part of its peak
  PeakMemoryMeasure measure;
  {
    auto a = at::ones({512, 512});  // 1 MiB
    auto b = at::matmul(a, a);      // 1 MiB more
    auto c = at::softmax(b, -1);    // 1 MiB more
  }
  const int64_t mib = 1 << 20;
  EXPECT_GE(measure.PeakAboveBaseline(), 3 * mib);
  EXPECT_LT(measure.PeakAboveBaseline(), 3 * mib + mib / 2);
}

TEST(ProcessMemory, HighWaterMarkResets) {
  ASSERT_GT(CurrentRssBytes(), 0);
  {
    std::vector<char> big(64 << 20, 1);  // touch 64 MiB
    EXPECT_GE(PeakRssBytes(), CurrentRssBytes() - 1024 * 1024);
  }
  if (!ResetPeakRss()) GTEST_SKIP() << "this kernel does not allow resetting VmHWM";
  EXPECT_LT(PeakRssBytes(), CurrentRssBytes() + (32 << 20));
}

}  // namespace
}  // namespace attnsweep
