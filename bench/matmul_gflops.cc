// Checks that LibTorch reaches an optimised BLAS: a 2048 x 2048 fp32 matmul's GFLOP/s on 1 thread
// and on all usable cores. Debian's reference BLAS gives about 6 GFLOP/s on one core; OpenBLAS
// about 100.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

namespace {

double MedianGflops(int threads, int64_t n, int repeats) {
  at::set_num_threads(threads);
  auto a = at::randn({n, n});
  auto b = at::randn({n, n});
  at::matmul(a, b);  // warm-up
  std::vector<double> gflops;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto c = at::matmul(a, b);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    gflops.push_back(2.0 * n * n * n / s / 1e9);
  }
  std::sort(gflops.begin(), gflops.end());
  return gflops[gflops.size() / 2];
}

}  // namespace

int main() {
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const double one = MedianGflops(1, 2048, 5);
  const double all = MedianGflops(cores, 2048, 5);
  std::printf(
      "matmul 2048x2048 fp32: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads "
      "(x%.2f)\n",
      one, all, cores, all / one);
  if (one < 30) {
    std::printf(
        "WARNING: under 30 GFLOP/s on one thread: LibTorch is probably on the reference BLAS. "
        "Install libopenblas0-openmp (scripts/setup.sh does).\n");
    return 1;
  }
  return 0;
}
