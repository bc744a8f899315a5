"""The table of scripts/bench_train.sh: one row per variant, length and thread count, from its
interleaved pairs (pairs.jsonl): each side's median training tokens per second, the median of the
pairs' ratios (ours over the peer's: above 1, ours trains faster) with their lowest and highest.

    python3 bench/train_table.py build/bench-train/pairs.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

from paired_ratios import ratio_cells

PEERS = {"softmax_chunked": "SDPA encoder", "performer": "performer-pytorch FastAttention",
         "linformer": "linformer LinformerSelfAttention", "gru": "torch.nn.GRU"}


def main():
    rows = defaultdict(list)
    versions = set()
    for line in open(sys.argv[1]):
        pair = json.loads(line)
        rows[(pair["threads"], pair["length"], pair["variant"])].append(pair)
        if pair["peer"]:
            versions.add(pair["peer"]["torch"])
    print(f"peer: PyTorch {', '.join(sorted(versions)) or '-'}, bench/train_peer.py")
    print("| threads | L | variant | ours tokens/s | peer | peer tokens/s | ratio (median of pairs) "
          "| pairs' range |")
    print("| ---: | ---: | --- | ---: | --- | ---: | ---: | --- |")
    for (threads, length, variant), pairs in sorted(rows.items()):
        ours = statistics.median(p["ours"] for p in pairs)
        paired = [p for p in pairs if p["peer"]]
        if not paired:
            print(f"| {threads} | {length} | {variant} | {ours:,.0f} | no peer (PEERS_DIR) | | | |")
            continue
        peer = statistics.median(p["peer"]["train_tokens_per_s"] for p in paired)
        ratios = [p["ours"] / p["peer"]["train_tokens_per_s"] for p in paired]
        print(f"| {threads} | {length} | {variant} | {ours:,.0f} | {PEERS[variant]} | {peer:,.0f} | "
              f"{ratio_cells(ratios)} |")


if __name__ == "__main__":
    main()
