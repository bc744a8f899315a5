#!/usr/bin/env bash
# The attention zoo's layer benchmark (bench/zoo_layer.yaml): every variant's figures at each length as
# ratios to softmax's from the same run, and the log-log slope of forward time against length.
# Usage: scripts/bench_zoo.sh [BUILD_DIR] [--report-only]   (--report-only: the last run's store)
set -euo pipefail
build=${1:-build}
db="$build/zoo.db"
echo "== bench/zoo_layer.yaml on $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), job memory cap 16G"
if [ "${2:-}" != "--report-only" ]; then
  rm -rf "$db" "$db-wal" "$db-shm" "$db.logs"
  "$build/attnsweep" run bench/zoo_layer.yaml --db "$db" --job-memory 16G -q || true
  # The Performer layer on one thread, to compare with performer-pytorch's single-thread figure.
  "$build/attnsweep" run bench/performer_one_thread.yaml --db "$db" --threads-per-rank 1 -q
fi
"$build/attnsweep" query --db "$db" --format csv "
  SELECT r.attention || COALESCE('/' || json_extract(r.config, '$.model.performer.kernel'), ''),
         r.max_len, r.status, COALESCE(r.error_kind, ''),
         r.fwd_ms, r.peak_mb, r.fwdbwd_ms, r.fwdbwd_peak_mb,
         s.fwd_ms AS softmax_ms, s.peak_mb AS softmax_mb
  FROM results r LEFT JOIN results s
    ON s.batch_id = r.batch_id AND s.attention = 'softmax' AND s.max_len = r.max_len AND s.status = 'done'
  WHERE r.batch_id = (SELECT max(batch_id) FROM jobs WHERE experiment = 'layer')
    AND r.experiment = 'layer'
  ORDER BY CASE r.attention WHEN 'softmax' THEN 0 WHEN 'softmax_chunked' THEN 1
           WHEN 'performer' THEN 2 WHEN 'linformer' THEN 3 WHEN 'infinity' THEN 4 ELSE 5 END, 1, r.max_len" |
  awk -F, '
    # Least-squares slope of log(time) on log(length) over the lengths >= 2048, where fixed costs no
    # longer dominate; printed when a variant ends.
    function fit() {
      if (n >= 2) printf "%-16s fitted log-log slope of fwd_ms over L >= 2048: %.2f\n", v,
                         (n * sxy - sx * sy) / (n * sxx - sx * sx)
      n = sx = sy = sxy = sxx = 0
    }
    NR == 1 {
      printf "%-16s %6s %10s %9s %9s %9s %11s %10s %6s\n", "variant", "L", "fwd_ms", "x_softmax",
             "peak_mb", "x_softmax", "fwdbwd_ms", "bwd_peak", "slope"; next }
    { if ($1 != v) { fit(); v = $1; pl = 0 }
      if ($3 != "done") { printf "%-16s %6d %10s\n", $1, $2, toupper($4); next }
      tr = $9 != "" ? sprintf("%.3f", $5 / $9) : "-"
      mr = $10 != "" ? sprintf("%.3f", $6 / $10) : "-"
      slope = pl ? sprintf("%.2f", log($5 / pt) / log($2 / pl)) : "-"
      printf "%-16s %6d %10.2f %9s %9.1f %9s %11s %10s %6s\n", $1, $2, $5, tr, $6, mr,
             $7 != "" ? sprintf("%.1f", $7) : "OOM", $8 != "" ? sprintf("%.1f", $8) : "OOM", slope
      if ($2 >= 2048) { x = log($2); y = log($5); n++; sx += x; sy += y; sxy += x * y; sxx += x * x }
      pl = $2; pt = $5 }
    END { fit() }'
"$build/attnsweep" query --db "$db" --format csv "
  SELECT fwd_ms, threads FROM results WHERE experiment = 'performer-one-thread' AND status = 'done'" |
  awk -F, 'NR == 2 { printf "performer/positive, one layer forward, B=4 L=4096 d_model=64 H=4, %d thread: %.1f ms\n", $2, $1 }'
