// Checks that LibTorch reaches an optimised BLAS: a 2048 x 2048 fp32 matmul's GFLOP/s on 1 thread
// and on all usable cores, with the OpenBLAS kernels attnsweep uses (experiments/blas_core.h).
// Debian's reference BLAS gives about 6 GFLOP/s on one core; OpenBLAS about 100 with its AVX-512
// kernels, 21 with the SSE3 ones it falls back to on a CPU it does not know.
// `bench_matmul_gflops --core` prints only the OpenBLAS kernels' name (for the peers' runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "experiments/blas_core.h"

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

int main(int argc, char** argv) {
  attnsweep::UseTheCpusBlasKernels(argv);
  if (argc > 1 && std::strcmp(argv[1], "--core") == 0) {
    const std::string core = attnsweep::BlasCoreDescription();
    std::printf("%s\n", core.substr(0, core.find(',')).c_str());
    return 0;
  }
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  const double one = MedianGflops(1, 2048, 5);
  const double all = MedianGflops(cores, 2048, 5);
  std::printf(
      "matmul 2048x2048 fp32: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads "
      "(x%.2f); OpenBLAS kernels: %s\n",
      one, all, cores, all / one, attnsweep::BlasCoreDescription().c_str());
  if (one < 30) {
    std::printf(
        "WARNING: under 30 GFLOP/s on one thread: LibTorch is probably on the reference BLAS. "
        "Install libopenblas0-openmp (scripts/setup.sh does).\n");
    return 1;
  }
  return 0;
}
