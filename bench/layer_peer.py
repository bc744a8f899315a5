"""The peers of attnsweep's attention-layer benchmarks, one layer of B x L x d_model:
torch.nn.MultiheadAttention (`--peer mha`), and lucidrains' performer-pytorch `SelfAttention`
(`--peer performer`: FAVOR+ with ceil(d_head ln d_head) orthogonal features, as ours) and
linformer's `LinformerSelfAttention` (`--peer linformer`: k 256, keys and values sharing their
projection, as ours), which need their checkouts on PYTHONPATH.

For each length: the median time of `repeats` passes after one warm-up, forward in eval mode without
gradients (PyTorch's fast path) or forward+backward in training mode, and the peak resident memory
above what the process held just before the pass (VmHWM after resetting it through
/proc/self/clear_refs, minus VmRSS). One JSON object per line.

    python3 bench/layer_peer.py --peer mha --threads 1 --lengths 1024 4096 --mode fwd
"""
import argparse
import json
import math
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


PEERS = {
    "mha": "torch.nn.MultiheadAttention",
    "performer": "performer-pytorch SelfAttention",
    "linformer": "linformer LinformerSelfAttention",
}


def make_layer(peer, d_model, heads, length):
    """The peer's layer as a function of x (B, L, d_model) -> (B, L, d_model), and its module."""
    d_head = d_model // heads
    if peer == "mha":
        mha = torch.nn.MultiheadAttention(d_model, heads, batch_first=True)
        return (lambda x: mha(x, x, x, need_weights=False)[0]), mha
    if peer == "performer":
        from lucidrains import import_performer_pytorch
        layer = import_performer_pytorch().SelfAttention(
            dim=d_model, heads=heads, dim_head=d_head,
            nb_features=math.ceil(d_head * math.log(d_head)), causal=False)
        return layer, layer
    from linformer import LinformerSelfAttention
    layer = LinformerSelfAttention(d_model, length, k=256, heads=heads, share_kv=True)
    return layer, layer


def measure(layer, x, mode, repeats):
    def one_pass():
        if mode == "fwd":
            with torch.no_grad():
                layer(x)
        else:
            layer(x).sum().backward()

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
    parser.add_argument("--peer", choices=sorted(PEERS), default="mha")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for length in args.lengths:
        torch.manual_seed(0)
        layer, module = make_layer(args.peer, args.d_model, args.heads, length)
        module.train(args.mode == "fwdbwd")
        x = torch.randn(args.batch, length, args.d_model)
        ms, peak_mb = measure(layer, x, args.mode, args.repeats)
        print(json.dumps({"peer": PEERS[args.peer], "torch": torch.__version__,
                          "threads": args.threads, "length": length, "mode": args.mode,
                          "ms": round(ms, 2), "peak_mb": round(peak_mb, 1)}), flush=True)


if __name__ == "__main__":
    main()
