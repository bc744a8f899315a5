"""The peer of attnsweep's exact attention: torch.nn.functional.scaled_dot_product_attention (SDPA)
of PyTorch 2.x, whose CPU path is a fused FlashAttention-style kernel (PyTorch >= 2.1). Run in the
Debian 13 root (scripts/debian13_root.sh) by scripts/bench_sdpa.sh, which pairs it with
`bench_exact_attention` of the same arguments. Prints one JSON line: the median milliseconds of
`repeats` passes after a warm-up, and the FLOP/s counted as attnsweep counts them (4 B H L^2 d
forward, 14 with the backward, half of either under the causal mask).

    python3 bench/sdpa_peer.py --length 4096 --dim 64 --threads 1 --what fwdbwd
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--length", type=int, default=4096)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--what", choices=["fwd", "causal", "fwdbwd", "causal_fwdbwd"],
                        default="fwd")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    shape = (args.batch, args.heads, args.length, args.dim)
    q = (torch.randn(shape) / args.dim**0.5).requires_grad_()
    k = torch.randn(shape).requires_grad_()
    v = torch.randn(shape).requires_grad_()
    upstream = torch.randn(shape)
    causal = args.what.startswith("causal")
    backward = args.what.endswith("fwdbwd")

    def one_pass():
        if backward:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            torch.autograd.grad((out * upstream).sum(), (q, k, v))
        else:
            with torch.no_grad():
                F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    one_pass()  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    times.sort()
    seconds = times[len(times) // 2]
    flops = (14.0 if backward else 4.0) * (0.5 if causal else 1.0) * args.batch * args.heads
    flops *= args.length * args.length * args.dim
    print(json.dumps({"ms": round(seconds * 1e3, 3), "gflops": round(flops / seconds / 1e9, 2),
                      "torch": torch.__version__,
                      "cpu": torch.backends.cpu.get_cpu_capability()}))


if __name__ == "__main__":
    main()
