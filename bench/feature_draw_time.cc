// Time to draw Performer's random features, M = d_head (one block) and M = ceil(d ln d), for
// each sampling at d_head 64 and 256: median of 21 draws on one thread, with the ratio to the
// QR-based `orthogonal` drawing measured in the same run (the peer the structured ones replace).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "experiments/blas_core.h"
#include "experiments/models/performer_attention.h"

namespace {

double MedianMs(int64_t m, int64_t d, const std::string& sampling) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  attnsweep::DrawRandomFeatures(m, d, sampling, "chi", generator);  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto start = std::chrono::steady_clock::now();
    attnsweep::DrawRandomFeatures(m, d, sampling, "chi", generator);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int, char** argv) {
  attnsweep::UseTheCpusBlasKernels(argv);
  at::set_num_threads(1);
  std::printf("== time to draw Performer's features (chi norms), median of 21 draws, 1 thread\n");
  std::printf("%-8s %-6s %-11s %10s %12s\n", "d_head", "M", "sampling", "ms", "vs QR");
  for (int64_t d : {64, 256}) {
    for (int64_t m : {d, static_cast<int64_t>(std::ceil(d * std::log(double(d))))}) {
      const double qr = MedianMs(m, d, "orthogonal");
      for (const char* sampling : {"orthogonal", "hadamard", "givens", "iid"}) {
        const double ms = sampling == std::string("orthogonal") ? qr : MedianMs(m, d, sampling);
        std::printf("%-8lld %-6lld %-11s %10.3f %11.2fx\n", static_cast<long long>(d),
                    static_cast<long long>(m), sampling, ms, qr / ms);
      }
    }
  }
  return 0;
}
