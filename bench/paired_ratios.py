"""What the paired benchmarks' tables say of one row's interleaved pairs: the median of the pairs'
ratios with their lowest and highest, as `1.23x | 1.10-1.31 (3)`. Shared by sdpa_table.py and
train_table.py."""
import statistics


def ratio_cells(ratios):
    return (f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}-{max(ratios):.2f} "
            f"({len(ratios)})")
