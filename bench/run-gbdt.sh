#!/usr/bin/env bash
# Benchmark of Loom's GradientBoosting against LightGBM and scikit-learn's HistGradientBoostingClassifier
# on bench/data/classification.csv (200,000 x 20; first 160,000 rows train, the rest test), same settings:
# 100 rounds, 31 leaves, learning rate 0.1, 255 bins, min 20 samples per leaf, no L2, 2 threads.
# The three libraries take turns, one fit each per turn, REPEATS turns (default 5), so that a busy machine
# slows them alike; the table shows each library's median training time and its test AUC.
# usage: bash bench/run-gbdt.sh        (from anywhere; REPEATS=N to change the number of turns)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${REPEATS:-5}"
. bench/classification.sh bench-gbdt

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for turn in $(seq "$repeats"); do
  echo "turn $turn/$repeats: Swift, LightGBM, scikit-learn" >&2
  "$bin" "$data" 1 >> "$results"
  OMP_NUM_THREADS=2 "$py" bench/python/gbdt.py "$data" 1 >> "$results"
done

# Lines are: library, seconds (median of that run's fits), all fits, test AUC.
echo
echo "GBDT, 160,000 x 20 train / 40,000 test, 100 rounds, 31 leaves, lr 0.1, 255 bins, $repeats fits each"
echo "(host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); a shared machine: compare medians)"
sort -s -t$'\t' -k1,1 "$results" | awk -F'\t' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, ",")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { if ($1 in fits) fits[$1] = fits[$1] "," $3; else { order[++count] = $1; fits[$1] = $3 }
    auc[$1] = $4 }
  END {
    ref = median(fits["lightgbm"])
    printf "%-12s %11s %9s %9s %9s  %s\n", "library", "median (s)", "vs lgbm", "test AUC", "dAUC", "all fits (s)"
    for (i = 1; i <= count; i++) {
      n = order[i]; m = median(fits[n])
      printf "%-12s %11.3f %8.2fx %9.5f %+9.5f  %s\n", n, m, m / ref, auc[n], auc[n] - auc["lightgbm"], fits[n]
    }
  }'
