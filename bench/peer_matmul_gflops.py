"""The peer's BLAS, checked before its figures are taken (scripts/bench_blas.sh): a 2048 x 2048
float32 matmul's GFLOP/s on one thread under the PyTorch it runs, the median of five after a
warm-up, with PyTorch's version. Below 30 GFLOP/s it is on a reference BLAS, and says so.
"""
import time

import torch


def main():
    torch.set_num_threads(1)
    a = torch.randn(2048, 2048)
    b = torch.randn(2048, 2048)
    a @ b
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        a @ b
        rates.append(2 * 2048**3 / (time.perf_counter() - start) / 1e9)
    rate = sorted(rates)[2]
    line = f"peer matmul 2048x2048 fp32: {rate:.1f} GFLOP/s on 1 thread (PyTorch {torch.__version__})"
    if rate < 30:
        line += (" WARNING: under 30 GFLOP/s, a reference BLAS: install libopenblas0-openmp in the"
                 " root (scripts/debian13_root.sh ensure libopenblas0-openmp)")
    print(line)


if __name__ == "__main__":
    main()
