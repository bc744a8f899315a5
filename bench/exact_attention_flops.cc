// How close exact attention comes to the machine: the fused kernel's (softmax_chunked) and plain
// softmax's GFLOP/s on one thread at L = 4096, B = 4, H = 4, d_head 16 and 64, against a
// 2048 x 2048 matmul's GFLOP/s measured in the same run. FLOPs counted: forward 4 B H L^2 d (q k^T
// and the weighted sum of v), backward 10 B H L^2 d (q k^T again, dV, dP, dQ, dK), so fwd+bwd 14.
// The softmax's exponentials are not counted: the figure is what the matmul-shaped work achieves.
// Under a causal mask (next_event) half of that work remains, counted so: a kernel that skips the
// blocks above the diagonal keeps its GFLOP/s and takes about half the time of the full pass.
//
// With arguments it times one shape, for scripts/bench_sdpa.sh, which pairs it with PyTorch 2.6's
// scaled_dot_product_attention (bench/sdpa_peer.py, the same arguments and the same JSON line):
//   bench_exact_attention --batch 4 --heads 4 --length 4096 --dim 64 --threads 1
//       --what fwd|causal|fwdbwd|causal_fwdbwd --repeats 3 [--block 256]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "experiments/blas_core.h"
#include "experiments/models/chunked_attention.h"
#include "experiments/models/fused_attention_kernel.h"
#include "experiments/models/softmax_attention.h"

namespace {

double MedianSeconds(int repeats, const std::function<void()>& body) {
  body();  // warm-up
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

double MatmulGflops() {
  const int64_t n = 2048;
  auto a = at::randn({n, n}), b = at::randn({n, n});
  const double s = MedianSeconds(5, [&] { at::matmul(a, b); });
  return 2.0 * n * n * n / s / 1e9;
}

struct Shape {
  int64_t batch = 4, heads = 4, length = 4096, dim = 64;
  int threads = 1;
  std::string what = "fwd";
  int repeats = 3;
  int64_t block = 256;  // keys per tile: the model's default (chunked.block)
};

// One JSON line: the median milliseconds of `repeats` passes after a warm-up, and the FLOP/s.
int TimeOneShape(const Shape& shape) {
  using namespace attnsweep;
  at::set_num_threads(shape.threads);
  torch::manual_seed(1);
  const auto dims = std::vector<int64_t>{shape.batch, shape.heads, shape.length, shape.dim};
  auto q = (at::randn(dims) / std::sqrt(static_cast<double>(shape.dim))).requires_grad_();
  auto k = at::randn(dims).requires_grad_();
  auto v = at::randn(dims).requires_grad_();
  const auto upstream = at::randn(dims);
  const bool causal = shape.what == "causal" || shape.what == "causal_fwdbwd";
  const bool backward = shape.what == "fwdbwd" || shape.what == "causal_fwdbwd";
  double seconds = 0;
  if (backward) {
    seconds = MedianSeconds(shape.repeats, [&] {
      torch::autograd::grad(
          {(ChunkedExactAttention(q, k, v, {}, shape.block, causal) * upstream).sum()}, {q, k, v});
    });
  } else {
    torch::NoGradGuard no_grad;
    seconds = MedianSeconds(shape.repeats,
                            [&] { ChunkedExactAttention(q, k, v, {}, shape.block, causal); });
  }
  // 4 B H L^2 d forward, 14 with the backward; half of either under the causal mask.
  const double flops = (backward ? 14.0 : 4.0) * (causal ? 0.5 : 1.0) *
                       static_cast<double>(shape.batch * shape.heads) * shape.length *
                       shape.length * shape.dim;
  std::printf("{\"ms\": %.3f, \"gflops\": %.2f, \"kernels\": \"%s\"}\n", seconds * 1e3,
              flops / seconds / 1e9, FusedAttentionIsa());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attnsweep;
  UseTheCpusBlasKernels(argv);
  if (argc > 1) {
    Shape shape;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--batch")
        shape.batch = std::stoll(value);
      else if (flag == "--heads")
        shape.heads = std::stoll(value);
      else if (flag == "--length")
        shape.length = std::stoll(value);
      else if (flag == "--dim")
        shape.dim = std::stoll(value);
      else if (flag == "--threads")
        shape.threads = std::stoi(value);
      else if (flag == "--what")
        shape.what = value;
      else if (flag == "--repeats")
        shape.repeats = std::stoi(value);
      else if (flag == "--block")
        shape.block = std::stoll(value);
      else {
        std::fprintf(stderr, "bench_exact_attention: unknown option %s\n", flag.c_str());
        return 2;
      }
    }
    if (argc % 2 == 0 || (shape.what != "fwd" && shape.what != "causal" && shape.what != "fwdbwd" &&
                          shape.what != "causal_fwdbwd")) {
      std::fprintf(stderr,
                   "usage: bench_exact_attention [--batch B --heads H --length L --dim D "
                   "--threads T --what fwd|causal|fwdbwd|causal_fwdbwd --repeats R --block K]\n");
      return 2;
    }
    return TimeOneShape(shape);
  }
  at::set_num_threads(1);
  const double peak = MatmulGflops();
  std::printf(
      "exact attention on 1 thread, B 4, H 4, L 4096 (kernels: %s); matmul 2048^3: %.1f "
      "GFLOP/s\n",
      FusedAttentionIsa(), peak);
  std::printf("%-8s %-22s %10s %10s %10s\n", "d_head", "what", "ms", "GFLOP/s", "of matmul");
  const int64_t batch = 4, heads = 4, length = 4096;
  for (int64_t dim : {16, 64}) {
    torch::manual_seed(1);
    auto q = (at::randn({batch, heads, length, dim}) / std::sqrt(dim)).requires_grad_();
    auto k = at::randn({batch, heads, length, dim}).requires_grad_();
    auto v = at::randn({batch, heads, length, dim}).requires_grad_();
    const double unit = static_cast<double>(batch * heads) * length * length * dim;
    auto report = [&](const char* what, double flops, double seconds) {
      const double gflops = flops / seconds / 1e9;
      std::printf("%-8lld %-22s %10.1f %10.1f %9.1f%%\n", static_cast<long long>(dim), what,
                  seconds * 1e3, gflops, 100 * gflops / peak);
    };
    double fused = 0, plain = 0, fused_causal = 0, plain_causal = 0;
    {
      torch::NoGradGuard no_grad;
      fused = MedianSeconds(3, [&] { ChunkedExactAttention(q, k, v, {}, 256); });
      report("fused forward", 4 * unit, fused);
      plain = MedianSeconds(3, [&] { ExactAttention(q, k, v, {}, 0, false); });
      report("plain forward", 4 * unit, plain);
      fused_causal = MedianSeconds(3, [&] { ChunkedExactAttention(q, k, v, {}, 256, true); });
      report("fused causal forward", 2 * unit, fused_causal);
      plain_causal = MedianSeconds(3, [&] { ExactAttention(q, k, v, {}, 0, false, true); });
      report("plain causal forward", 2 * unit, plain_causal);
    }
    const auto upstream = at::randn({batch, heads, length, dim});
    auto backward = [&](bool causal) {
      return MedianSeconds(3, [&] {
        torch::autograd::grad({(ChunkedExactAttention(q, k, v, {}, 256, causal) * upstream).sum()},
                              {q, k, v});
      });
    };
    const double both = backward(false), both_causal = backward(true);
    report("fused forward+backward", 14 * unit, both);
    report("fused causal fwd+bwd", 7 * unit, both_causal);
    std::printf(
        "%-8lld causal / full time: fused forward %.2f, plain forward %.2f, fused "
        "forward+backward %.2f\n",
        static_cast<long long>(dim), fused_causal / fused, plain_causal / plain,
        both_causal / both);
  }
  return 0;
}
