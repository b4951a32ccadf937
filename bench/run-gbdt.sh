#!/usr/bin/env bash
# Benchmark of Loom's GradientBoosting against LightGBM and scikit-learn's HistGradientBoostingClassifier
# on bench/data/classification.csv (200,000 x 20; first 160,000 rows train, the rest test), same settings:
# 100 rounds, 31 leaves, learning rate 0.1, 255 bins, min 20 samples per leaf, no L2, 2 threads.
# Prints the median training time of REPEATS fits (default 5) and the test AUC of each, in one table.
# usage: bash bench/run-gbdt.sh        (from anywhere; REPEATS=N to change the number of fits)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${REPEATS:-5}"
bash bench/setup-python.sh
py=bench/.venv/bin/python
data=bench/data/classification.csv
mkdir -p bench/data
[ -f "$data" ] || "$py" bench/python/make_classification.py "$data"
swift build -c release --package-path bench --product bench-gbdt >&2
bin="$(swift build -c release --package-path bench --show-bin-path)/bench-gbdt"

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
echo "running Swift ($repeats fits)..." >&2
"$bin" "$data" "$repeats" >> "$results"
echo "running LightGBM and scikit-learn ($repeats fits each)..." >&2
OMP_NUM_THREADS=2 "$py" bench/python/gbdt.py "$data" "$repeats" >> "$results"

echo
echo "GBDT, 160,000 x 20 train / 40,000 test, 100 rounds, 31 leaves, lr 0.1, 255 bins  (host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '
  { name[NR] = $1; med[NR] = $2; all[NR] = $3; auc[NR] = $4; if ($1 == "lightgbm") ref = NR }
  END {
    printf "%-12s %12s %10s %9s %9s  %s\n", "library", "median (s)", "vs lgbm", "test AUC", "dAUC", "all fits (s)"
    for (i = 1; i <= NR; i++)
      printf "%-12s %12.3f %9.2fx %9.5f %+9.5f  %s\n", name[i], med[i], med[i] / med[ref], auc[i], auc[i] - auc[ref], all[i]
  }' "$results"
