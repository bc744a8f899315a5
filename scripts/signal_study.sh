#!/usr/bin/env bash
# `make signal-study`: signals with known answers (docs/results.md). PROFILE=quick (default,
# examples/signal-study-quick.yaml, within 15 minutes on 2 cores) or PROFILE=full
# (examples/signal-study.yaml). Runs the grid through mpirun on every local core into
# $SIGNAL_STUDY_DIR (default build/signal-study), prints the tables against the oracle and the
# paired comparisons, and writes the HTML report beside the store. A second call after an
# interruption finishes the batch instead of starting again.
set -euo pipefail
build=${1:-build}
source scripts/study_batch.sh
study_paths signal-study "$build" "${SIGNAL_STUDY_DIR:-$build/signal-study}"
run_study_batch signal-study "$bin" "$grid" "$db"
export ATTNSWEEP_DB="$db"
echo
echo "== The oracle: Bayes-optimal test ROC AUC of each family (the same test customers for every model)"
"$bin" results --by data.signal_kind --pivot data.max_len --metrics oracle_test_auc
for kind in order recall rhythm count; do
  echo
  echo "== $kind: test ROC AUC, mean ± std over seeds"
  "$bin" results --where "data.signal_kind = '$kind'" --by model.attention --pivot data.max_len \
    --metrics test_auc
done
echo
echo "== Each model against the oracle on the same customers: test_auc - oracle_test_auc"
"$bin" query --format table "SELECT \"data.signal_kind\" AS signal, \"model.attention\" AS model,
  \"data.max_len\" AS max_len, COUNT(*) AS n, ROUND(AVG(test_auc - oracle_test_auc), 3) AS gap,
  ROUND(MIN(test_auc - oracle_test_auc), 3) AS worst, ROUND(MAX(test_auc - oracle_test_auc), 3) AS best
  FROM wide WHERE status = 'done' AND batch_id = (SELECT MAX(id) FROM batches)
  GROUP BY 1, 2, 3 ORDER BY 1, 3, 2"
echo
echo "== Paired against softmax (same seeds, same test customers): DeLong's test, 95 % intervals"
"$bin" results --by data.signal_kind,data.max_len --compare model.attention=softmax \
  --metrics test_auc
"$bin" report -o "$out/$profile.html" >/dev/null
echo
echo "signal-study ($profile): the batch took ${elapsed} s here; store $db, report $out/$profile.html"
