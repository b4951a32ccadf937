#!/usr/bin/env bash
# Reading alone, side by side (issue 12): Loom's `CSV.read` (`BENCH_CSV_READS=N bench-csv`) against
# pandas `read_csv` (C engine) and polars `read_csv`, N reads each per process, processes taking
# turns ROUNDS times, each process under `flock /tmp/loom-bench.lock` (the lock the shared machine's
# benchmarks take). Medians and fastest of all reads, ratio Loom / pandas.
# usage: bash bench/run-csv-reads.sh [DATA]   (default bench/data/classification.csv, the 17-digit
#        table of run-train.sh; READS=N per process, default 7; ROUNDS=N, default 3;
#        BENCH_CSV=path another build of bench-csv)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-bench/data/classification.csv}"
reads="${READS:-7}"
rounds="${ROUNDS:-3}"
bash bench/setup-python.sh
py=bench/.venv/bin/python
mkdir -p bench/data
if [ ! -f "$data" ]; then
  case "$data" in
    */classification.csv) "$py" bench/python/make_classification.py "$data" ;;
    */numeric.csv) "$py" bench/python/make_numeric_csv.py "$data" ;;
  esac
fi
if [ -n "${BENCH_CSV:-}" ]; then
  bin="$BENCH_CSV"
else
  swift build -c release --package-path bench --product bench-csv >&2
  bin="$(swift build -c release --package-path bench --show-bin-path)/bench-csv"
fi
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
loads=""
for round in $(seq "$rounds"); do
  echo "round $round/$rounds: Loom, then pandas and polars ($reads reads each)" >&2
  loads="$loads $(cut -d' ' -f1 /proc/loadavg)"
  flock /tmp/loom-bench.lock env BENCH_CSV_READS="$reads" "$bin" "$data" /tmp 2>&1 >/dev/null \
    | awk '/^bench-csv: read / { printf "loom\tread\t%s\n", $3 }' >> "$results"
  flock /tmp/loom-bench.lock "$py" bench/python/csv_reads.py "$data" "$reads" >> "$results"
done
echo
echo "reads of $data ($(awk -v b="$(stat -c %s "$data")" 'BEGIN{printf "%.1f", b/1e6}') MB), $rounds rounds x $reads reads per tool"
echo "(host: $(nproc) cores, load average at each round:$loads; now $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, ",")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { if ($1 in runs) runs[$1] = runs[$1] "," $3; else { order[++count] = $1; runs[$1] = $3 }
    if (!($1 in best) || $3 + 0 < best[$1]) best[$1] = $3 + 0 }
  END {
    printf "%-8s %11s %11s %16s %16s\n", "tool", "median (s)", "fastest (s)", "median/pandas", "fastest/pandas"
    for (i = 1; i <= count; i++) {
      t = order[i]; m = median(runs[t])
      printf "%-8s %11.3f %11.3f %15.2fx %15.2fx\n", t, m, best[t], m / median(runs["pandas"]), best[t] / best["pandas"]
    }
  }' "$results"
