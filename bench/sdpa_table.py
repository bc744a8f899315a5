"""The table of scripts/bench_sdpa.sh: one row per shape, from its interleaved pairs (pairs.jsonl):
each side's median time over the pairs, the median of the pairs' ratios (peer time / ours: above
1, ours is faster) with their lowest and highest, and ours as a share of the matrix product's rate
measured in the same run (bench_matmul_gflops' line, the second argument), SDPA's own rate, and
whether the median ratio meets issue 33's target for its head size (>= 1.3x at d_head 16 and 32,
>= 1.0x at 64 and 128, for L 2048 to 16384; other cells have none), with a count of those met.

    python3 bench/sdpa_table.py build/bench-sdpa/pairs.jsonl "matmul ...: 48.4 GFLOP/s on 1 thread, 97.3 ..."
"""
import json
import re
import statistics
import sys
from collections import defaultdict

from paired_ratios import ratio_cells

# Issue 33's targets: the median ratio (ours over SDPA) each head size should reach, over the
# lengths the issue names.
TARGETS = {16: 1.3, 32: 1.3, 64: 1.0, 128: 1.0}
TARGET_LENGTHS = range(2048, 16384 + 1)


def main():
    rows = defaultdict(list)
    versions = set()
    for line in open(sys.argv[1]):
        pair = json.loads(line)
        rows[(pair["threads"], pair["dim"], pair["length"], pair["what"])].append(pair)
        versions.add((pair["peer"]["torch"], pair["peer"]["cpu"], pair["ours"]["kernels"]))
    matmul = {}
    if len(sys.argv) > 2:
        found = re.search(r"([\d.]+) GFLOP/s on 1 thread, ([\d.]+) GFLOP/s on 2", sys.argv[2])
        if found:
            matmul = {1: float(found.group(1)), 2: float(found.group(2))}
    for torch_version, cpu, kernels in sorted(versions):
        print(f"peer: PyTorch {torch_version} SDPA ({cpu}); ours: fused kernel ({kernels})")
    print("| threads | d_head | L | what | ours ms | SDPA ms | ratio (median of pairs) | "
          "pairs' range | ours GFLOP/s | of matmul | SDPA GFLOP/s | target |")
    print("| ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    met = judged = 0
    for (threads, dim, length, what), pairs in sorted(rows.items()):
        ours = statistics.median(p["ours"]["ms"] for p in pairs)
        peer = statistics.median(p["peer"]["ms"] for p in pairs)
        ratios = [p["peer"]["ms"] / p["ours"]["ms"] for p in pairs]
        ratio = statistics.median(ratios)
        gflops = statistics.median(p["ours"]["gflops"] for p in pairs)
        peer_gflops = statistics.median(p["peer"]["gflops"] for p in pairs)
        share = f"{100 * gflops / matmul[threads]:.0f} %" if threads in matmul else ""
        target = TARGETS.get(dim) if length in TARGET_LENGTHS else None
        verdict = ""
        if target is not None:
            judged += 1
            met += ratio >= target
            verdict = f"{target:.1f}x: {'met' if ratio >= target else 'missed'}"
        print(f"| {threads} | {dim} | {length} | {what} | {ours:,.1f} | {peer:,.1f} | "
              f"{ratio_cells(ratios)} | {gflops:.1f} | {share} | {peer_gflops:.1f} | {verdict} |")
    print(f"\n{met} of {judged} cells with a target (L 2048 to 16384) meet it.")


if __name__ == "__main__":
    main()
