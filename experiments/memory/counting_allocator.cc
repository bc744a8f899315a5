#include "experiments/memory/counting_allocator.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

namespace attnsweep {
namespace {

// Wraps the allocator that was in place and remembers each allocation's size and original deleter.
// Every pointer it hands out is its own context, so raw_allocate/raw_deallocate work too.
class CountingCpuAllocator final : public c10::Allocator {
 public:
  explicit CountingCpuAllocator(c10::Allocator* base) : base_(base) {}

  // LibTorch 2.3 made Allocator::allocate non-const and added a pure copy_data (later versions may
  // give it a `sync` flag); 1.13 has the const allocate and no copy_data. Declaring every form
  // without `override` fits them all: whichever matches the base's declaration overrides it.
  c10::DataPtr allocate(size_t bytes) { return Allocate(bytes); }
  c10::DataPtr allocate(size_t bytes) const { return Allocate(bytes); }
  void copy_data(void* destination, const void* source, size_t bytes) const {
    std::memcpy(destination, source, bytes);
  }
  void copy_data(void* destination, const void* source, size_t bytes, bool /*sync*/) const {
    std::memcpy(destination, source, bytes);
  }

  c10::DeleterFnPtr raw_deleter() const override { return &Free; }

  int64_t current() const { return current_.load(); }
  int64_t peak() const { return peak_.load(); }
  void ResetPeak() { peak_.store(current_.load()); }

 private:
  c10::DataPtr Allocate(size_t bytes) const {
    c10::DataPtr inner = base_->allocate(bytes);
    void* data = inner.get();
    c10::DeleterFnPtr deleter = inner.get_deleter();
    void* context = inner.release_context();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      live_[data] = {bytes, deleter, context};
    }
    const int64_t now =
        current_.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
    int64_t peak = peak_.load();
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {data, data, &Free, inner.device()};
  }

  struct Allocation {
    size_t bytes;
    c10::DeleterFnPtr deleter;
    void* context;
  };

  static void Free(void* data);

  c10::Allocator* base_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<void*, Allocation> live_;
  mutable std::atomic<int64_t> current_{0};
  mutable std::atomic<int64_t> peak_{0};
};

// Leaked on purpose: tensors freed during static destruction still call into it.
CountingCpuAllocator* g_counting = nullptr;
std::once_flag g_install_once;

void CountingCpuAllocator::Free(void* data) {
  if (data == nullptr) return;
  Allocation allocation;
  {
    std::lock_guard<std::mutex> lock(g_counting->mutex_);
    auto it = g_counting->live_.find(data);
    if (it == g_counting->live_.end()) return;
    allocation = it->second;
    g_counting->live_.erase(it);
  }
  g_counting->current_.fetch_sub(static_cast<int64_t>(allocation.bytes));
  if (allocation.deleter != nullptr) allocation.deleter(allocation.context);
}

}  // namespace

void CpuMemoryCounter::Install() {
  std::call_once(g_install_once, [] {
    g_counting = new CountingCpuAllocator(c10::GetCPUAllocator());
    // Priority above the default allocator's (0), so LibTorch keeps ours.
    c10::SetCPUAllocator(g_counting, /*priority=*/100);
  });
}

bool CpuMemoryCounter::Installed() { return g_counting != nullptr; }

int64_t CpuMemoryCounter::CurrentBytes() { return g_counting ? g_counting->current() : 0; }
int64_t CpuMemoryCounter::PeakBytes() { return g_counting ? g_counting->peak() : 0; }
void CpuMemoryCounter::ResetPeak() {
  if (g_counting) g_counting->ResetPeak();
}

}  // namespace attnsweep
