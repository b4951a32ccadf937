#!/usr/bin/env bash
# Benchmark of Loom's KMeans against scikit-learn's KMeans on the 20 features of
# bench/data/classification.csv (all 200,000 rows, label excluded), standardised (population std) outside
# the timing, same settings in both: k = 8, k-means++ (greedy, 2 + floor(ln k) trials), n_init = 10,
# max_iter = 300, tol = 1e-4, algorithm "lloyd"; scikit-learn with 2 OpenMP threads.
# The two libraries take turns, one fit each per turn, REPEATS turns (default 5), so that a busy machine
# slows them alike; the table shows each library's median fit time and its inertia (relative to scikit-learn's).
# usage: bash bench/run-kmeans.sh        (from anywhere; REPEATS=N to change the number of turns)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${REPEATS:-5}"
. bench/classification.sh bench-kmeans

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for turn in $(seq "$repeats"); do
  echo "turn $turn/$repeats: Swift, scikit-learn" >&2
  "$bin" "$data" 1 >> "$results"
  OMP_NUM_THREADS=2 "$py" bench/python/kmeans.py "$data" 1 >> "$results"
done

# Lines are: library, seconds, inertia, iterations of the winning restart.
echo
echo "k-means, 200,000 x 20 standardised, k 8, n_init 10, max_iter 300, tol 1e-4, lloyd, $repeats fits each"
echo "(host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); a shared machine: compare medians)"
awk -F'\t' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, ",")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { if ($1 in fits) fits[$1] = fits[$1] "," sprintf("%.2f", $2); else { order[++count] = $1; fits[$1] = sprintf("%.2f", $2) }
    inertia[$1] = $3; iters[$1] = $4 }
  END {
    ref = median(fits["scikit-learn"]); refI = inertia["scikit-learn"]
    printf "%-13s %11s %9s %15s %10s %6s  %s\n", "library", "median (s)", "vs sklearn", "inertia", "vs sklearn", "iters", "all fits (s)"
    for (i = 1; i <= count; i++) {
      n = order[i]; m = median(fits[n])
      printf "%-13s %11.2f %9.2fx %15.2f %+9.4f%% %6d  %s\n", n, m, m / ref, inertia[n], 100 * (inertia[n] - refI) / refI, iters[n], fits[n]
    }
  }' "$results"
