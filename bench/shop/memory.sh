#!/usr/bin/env bash
# dags/shop.yaml at CUSTOMERS customers (default 50,000: about 4 million events), cold, -j 2: each
# built-in task's peak resident set (bench/shop/task_rss.py), the run's wall time and peak (GNU
# time), then the four data steps, ingest_events, clean, customer_features and session_features,
# written in pandas and in DuckDB (bench/shop/reference.py) on the same generated events.csv (each
# engine's feature steps read its own cleaned table), each step's time and peak.
#
#   bash bench/shop/memory.sh [CUSTOMERS]          LOOM=path/to/loom to skip the release build
#   bash bench/shop/memory.sh 250000               the issue's 20 million events (21 minutes here;
#                                                  pandas' sessions step peaks at 11 GB)
#
# Needs bench/.venv with pandas and duckdb (bash bench/setup-python.sh). Uses about 2 GB of disk
# per million events in a temporary directory, removed at the end (each engine's tables as it finishes).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
customers="${1:-50000}"
if [ -z "${LOOM:-}" ]; then
  (cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/dev/null)
  LOOM="$repo/.build/release/loom"
fi
py="$repo/bench/.venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/dags" "$repo/loom.yaml" "$work/"
cd "$work"
echo "start $(date -u +%H:%M:%S) UTC, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$repo/bench/shop/task_rss.py" rss.tsv -- /usr/bin/time -v "$LOOM" run dags/shop.yaml -j 2 -q -P customers="$customers" 2> time.txt
echo "loom run, $customers customers: $(grep -E 'Elapsed' time.txt | sed 's/.*): //') wall, peak $(( $(grep 'Maximum resident' time.txt | awk '{print $6}') / 1024 )) MB"
"$LOOM" show last | grep -E "^  ran|events = " | sed 's/^ *//'
echo
echo "peak resident set per task (MB):"
sort -t$'\t' -k3 -n -r rss.tsv | awk -F'\t' '{printf "  %-28s %-18s %6d\n", $1, $2, $3}'
digest="$("$LOOM" show last | awk '$1 == "ran" && $2 == "generate" {print $4}')"   # the start of its tree's digest
events="$(ls -d artifacts/trees/"$digest"*/events.csv | head -1)"
echo
echo "references on $events ($(( $(stat -c %s "$events") / 1048576 )) MB):"
for engine in pandas duckdb; do
  for step in ingest clean customers sessions; do
    case "$step" in ingest) in="$events" ;; clean) in="$work/$engine-ingest.csv" ;; *) in="$work/$engine-clean.csv" ;; esac
    out="$work/$engine-$step.csv"
    secs=$(/usr/bin/time -v -o "$work/t.txt" "$py" "$repo/bench/shop/reference.py" "$engine" "$step" "$in" "$out")
    echo "  $engine $step: ${secs} s, peak $(( $(grep 'Maximum resident' "$work/t.txt" | awk '{print $6}') / 1024 )) MB"
  done
  rm -f "$work/$engine"-*.csv   # 3-4 GB at 20 million events
done
echo "end $(date -u +%H:%M:%S) UTC, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
