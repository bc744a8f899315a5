"""Tables of every attention variant against torch.nn.MultiheadAttention, from one run of
scripts/bench_attention.sh: `ours-t{threads}.json` (attnsweep query --format json) and
`peer-{mode}-t{threads}.jsonl` (bench/layer_peer.py, Debian 12's PyTorch 1.13) in the folder
given; then, where the run made them, each variant against its peer under PyTorch 2.6
(`peer26-{peer}-{mode}-t{threads}.jsonl`: MultiheadAttention for softmax and softmax_chunked,
performer-pytorch for performer, linformer for linformer). Markdown on stdout.

speed = the peer's time over ours (above 1: attnsweep is faster); memory = our peak over the
peer's (below 1: attnsweep needs less). Our peak is the counting allocator's, the peer's its
resident-memory growth: both the bytes a pass holds at once above what was held before it.
"""
import json
import pathlib
import sys

VARIANTS = ["softmax", "softmax_chunked", "performer", "linformer", "infinity"]


def load_peer(path):
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {row["length"]: row for row in rows}


def cell(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def table(ours, peer, experiment, time_key, peak_key, threads, mode):
    lengths = sorted({row["max_len"] for row in ours if row["experiment"] == experiment})
    if not lengths:
        return
    print(f"\n### {mode}, {threads} thread{'s' if threads > 1 else ''} (B 4, d_model 64, H 4)\n")
    print("| variant | L | ms | peer ms | speed | peak MB | peer MB | memory |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for length in lengths:
        p = peer.get(length)
        print(f"| torch.nn.MultiheadAttention | {length} | {cell(p and p['ms'])} | | | "
              f"{cell(p and p['peak_mb'])} | | |")
        for variant in VARIANTS:
            row = next((r for r in ours if r["experiment"] == experiment and r["attention"] ==
                        variant and r["max_len"] == length), None)
            if row is None:
                continue
            ms, peak = row.get(time_key), row.get(peak_key)
            if ms is None:
                print(f"| {variant} | {length} | failed ({row.get('status')}) | | | | | |")
                continue
            speed = p["ms"] / ms if p else None
            memory = peak / p["peak_mb"] if p and peak is not None and p["peak_mb"] > 0 else None
            print(f"| {variant} | {length} | {cell(ms)} | {cell(p and p['ms'])} | "
                  f"{cell(speed, 2)}x | {cell(peak)} | {cell(p and p['peak_mb'])} | "
                  f"{cell(memory, 2)}x |")


# Our variant -> its peer's file name part under PyTorch 2.6.
PEERS_26 = {"softmax": "mha", "softmax_chunked": "mha", "performer": "performer",
            "linformer": "linformer"}


def table_26(folder, ours, experiment, time_key, peak_key, threads, mode, title):
    peers = {name: load_peer(folder / f"peer26-{name}-{mode}-t{threads}.jsonl")
             for name in set(PEERS_26.values())}
    if not any(peers.values()):
        return
    print(f"\n### {title}, {threads} thread{'s' if threads > 1 else ''}, against PyTorch 2.6 "
          "(B 4, d_model 64, H 4)\n")
    print("| variant | L | ms | peer | peer ms | speed | peak MB | peer MB | memory |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for variant, peer_name in PEERS_26.items():
        for row in sorted((r for r in ours if r["experiment"] == experiment and
                           r["attention"] == variant), key=lambda r: r["max_len"]):
            p = peers[peer_name].get(row["max_len"])
            if p is None:
                continue
            ms, peak = row.get(time_key), row.get(peak_key)
            if ms is None:
                print(f"| {variant} | {row['max_len']} | failed ({row.get('status')}) | "
                      f"{p['peer']} | {cell(p['ms'])} | | | {cell(p['peak_mb'])} | |")
                continue
            memory = peak / p["peak_mb"] if peak is not None and p["peak_mb"] > 0 else None
            print(f"| {variant} | {row['max_len']} | {cell(ms)} | {p['peer']} | {cell(p['ms'])} | "
                  f"{cell(p['ms'] / ms, 2)}x | {cell(peak)} | {cell(p['peak_mb'])} | "
                  f"{cell(memory, 2)}x |")


def main():
    folder = pathlib.Path(sys.argv[1])
    for threads in (1, 2):
        path = folder / f"ours-t{threads}.json"
        if not path.exists():
            continue
        ours = json.loads(path.read_text())
        table(ours, load_peer(folder / f"peer-fwd-t{threads}.jsonl"), "forward", "fwd_ms",
              "peak_mb", threads, "forward (eval, no gradients)")
        table(ours, load_peer(folder / f"peer-fwdbwd-t{threads}.jsonl"), "training", "fwdbwd_ms",
              "fwdbwd_peak_mb", threads, "forward + backward")
    for threads in (1, 2):
        path = folder / f"ours-t{threads}.json"
        if not path.exists():
            continue
        ours = json.loads(path.read_text())
        table_26(folder, ours, "forward", "fwd_ms", "peak_mb", threads, "fwd",
                 "forward (eval, no gradients)")
        table_26(folder, ours, "training", "fwdbwd_ms", "fwdbwd_peak_mb", threads, "fwdbwd",
                 "forward + backward")


if __name__ == "__main__":
    main()
