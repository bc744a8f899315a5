#!/usr/bin/env bash
# `make demo`: runs examples/quick.yaml into a fresh store and prints its results table.
set -euo pipefail
build=${1:-build}
db="$build/demo.db"
rm -f "$db" "$db-wal" "$db-shm"
"$build/attnsweep" run examples/quick.yaml --db "$db"
echo
"$build/attnsweep" results --db "$db" --by model.attention,data.max_len \
  --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb,tokens_per_s
echo
echo "The store is $db: try '$build/attnsweep status --db $db' or"
echo "  $build/attnsweep query --db $db \"SELECT attention, max_len, fwd_ms, peak_mb FROM results\""
