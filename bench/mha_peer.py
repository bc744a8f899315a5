"""The peer of attnsweep's attention benchmarks: torch.nn.MultiheadAttention (Debian's python3-torch).

For each length: the median time of `repeats` passes after one warm-up, forward in eval mode without
gradients (PyTorch's fast path) or forward+backward in training mode, and the peak resident memory
above what the process held just before the pass (VmHWM after resetting it through
/proc/self/clear_refs, minus VmRSS). One JSON object per line.

    python3 bench/mha_peer.py --threads 1 --lengths 1024 4096 --mode fwd
"""
import argparse
import json
import time

import torch


def status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def measure(mha, x, mode, repeats):
    def one_pass():
        if mode == "fwd":
            with torch.no_grad():
                mha(x, x, x, need_weights=False)
        else:
            out, _ = mha(x, x, x, need_weights=False)
            out.sum().backward()

    one_pass()  # warm-up
    before = status_kib("VmRSS")
    reset_peak()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    peak_mb = (status_kib("VmHWM") - before) / 1024
    times.sort()
    return times[len(times) // 2] * 1e3, peak_mb


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lengths", type=int, nargs="+", required=True)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--mode", choices=["fwd", "fwdbwd"], default="fwd")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(args.d_model, args.heads, batch_first=True)
    mha.train(args.mode == "fwdbwd")
    for length in args.lengths:
        x = torch.randn(args.batch, length, args.d_model)
        ms, peak_mb = measure(mha, x, args.mode, args.repeats)
        print(json.dumps({"peer": "torch.nn.MultiheadAttention", "torch": torch.__version__,
                          "threads": args.threads, "length": length, "mode": args.mode,
                          "ms": round(ms, 2), "peak_mb": round(peak_mb, 1)}), flush=True)


if __name__ == "__main__":
    main()
