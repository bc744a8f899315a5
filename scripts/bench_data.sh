#!/usr/bin/env bash
# `make bench-data`: a real-scale synthetic set (15,000 customers, about 6.6 million rows, the real
# files' format and size), then the first preparation (hashing and parsing the CSV, on one core) and
# a cached reload, timed. Usage: scripts/bench_data.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
set_dir="$build/bench-data/set"
cache="$build/bench-data/cache"
echo "== transaction data on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), one core"
if [ ! -f "$set_dir/transactions.csv" ]; then
  "$build/attnsweep" data generate --out "$set_dir" --customers 15000 --seed 1
fi
bytes=$(stat -c %s "$set_dir/transactions.csv")
rows=$(($(wc -l <"$set_dir/transactions.csv") - 1))
awk -v b="$bytes" -v r="$rows" 'BEGIN { printf "transactions.csv: %.1f MB, %d rows\n", b / 1e6, r }'
rm -rf "$cache"
# Warm the page cache, so the figure is the parser's, not the disk's.
cat "$set_dir/transactions.csv" "$set_dir/gender_train.csv" >/dev/null
export ATTNSWEEP_CACHE="$cache"
start=$(date +%s.%N)
taskset -c 0 "$build/attnsweep" data prepare --path "$set_dir" --format csv >"$build/bench-data/first.csv"
first=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
start=$(date +%s.%N)
taskset -c 0 "$build/attnsweep" data prepare --path "$set_dir" --format csv >"$build/bench-data/again.csv"
again=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
first_in=$(grep '^seconds,' "$build/bench-data/first.csv" | cut -d, -f2)
again_in=$(grep '^seconds,' "$build/bench-data/again.csv" | cut -d, -f2)
grep -q 'action,parsed' "$build/bench-data/first.csv" && grep -q 'action,loaded' "$build/bench-data/again.csv"
awk -v b="$bytes" -v r="$rows" -v f="$first_in" -v fw="$first" -v a="$again_in" -v aw="$again" 'BEGIN {
  printf "first preparation (SHA-256 of the files, parse, sort, encode, write): %.2f s = %.0f MB/s, %.2f M rows/s (whole command %.2f s)\n", f, b / 1e6 / f, r / 1e6 / f, fw
  printf "cached reload: %.3f s inside the command (whole command, process start included: %.2f s)\n", a, aw
  printf "targets: parse >= 100 MB/s on one core: %s; reload <= 1 s: %s\n", (b / 1e6 / f >= 100 ? "met" : "NOT met"), (aw <= 1 ? "met" : "NOT met") }'
