#!/usr/bin/env bash
# Benchmark of Loom's CSV reading and writing (issue 12) against pandas (C engine), polars and DuckDB
# on bench/data/numeric.csv (200,000 x 20 numbers, ~38 MB, seeded: bench/python/make_numeric_csv.py).
# Read: Loom's `CSV.read` (the path built-in kinds read inputs through, types inferred) into a Table;
# pandas `read_csv`; polars `read_csv`; DuckDB `read_csv(...).fetchnumpy()` (2 threads).
# Write: the table just read, Loom's `CSV.write` vs pandas `to_csv(index=False)` and polars `write_csv`.
# The tools take turns, one read and one write each per turn, REPEATS turns (default 5); medians.
# Times are inside each process (no start-up, no imports); the page cache is warm for all.
# usage: bash bench/run-csv.sh        (from anywhere; REPEATS=N to change the number of turns)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${REPEATS:-5}"
bash bench/setup-python.sh
py=bench/.venv/bin/python
data=bench/data/numeric.csv
mkdir -p bench/data
[ -f "$data" ] || "$py" bench/python/make_numeric_csv.py "$data"
swift build -c release --package-path bench --product bench-csv >&2
bin="$(swift build -c release --package-path bench --show-bin-path)/bench-csv"

out="$(mktemp -d)"
results="$(mktemp)"
trap 'rm -rf "$out" "$results"' EXIT
for turn in $(seq "$repeats"); do
  echo "turn $turn/$repeats: Loom, Loom serial (reference), pandas, polars, DuckDB" >&2
  "$bin" "$data" "$out" >> "$results"
  "$py" bench/python/csv_io.py "$data" "$out" >> "$results"
done
# Loom's writer must give the bytes it always gave: the file pandas reads back equals the input's numbers.
cmp -s <("$py" -c "import pandas as pd,sys; a=pd.read_csv(sys.argv[1]); b=pd.read_csv(sys.argv[2]); print(a.equals(b))" "$data" "$out/loom.csv") <(echo True) \
  || { echo "Loom's written CSV does not read back as the input" >&2; exit 1; }

mb=$(( $(stat -c %s "$data") ))
echo
echo "CSV, $data ($(awk -v b="$mb" 'BEGIN{printf "%.1f", b/1e6}') MB, 200,000 x 20), $repeats turns, medians"
echo "(host: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); a shared machine: compare ratios)"
sort -s -t$'\t' -k2,2 -k1,1 "$results" | awk -F'\t' -v bytes="$mb" '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, ",")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { k = $2 SUBSEP $1
    if (k in runs) runs[k] = runs[k] "," $3; else { order[++count] = k; runs[k] = $3 } }
  END {
    printf "%-6s %-12s %11s %9s %11s  %s\n", "op", "tool", "median (s)", "MB/s", "vs pandas", "all (s)"
    for (i = 1; i <= count; i++) {
      split(order[i], kt, SUBSEP); m = median(runs[order[i]]); ref = median(runs[kt[1] SUBSEP "pandas"])
      printf "%-6s %-12s %11.3f %9.0f %10.2fx  %s\n", kt[1], kt[2], m, bytes / 1e6 / m, m / ref, runs[order[i]]
    }
  }'
