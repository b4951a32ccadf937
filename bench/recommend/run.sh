#!/usr/bin/env bash
# dags/recommend.yaml at the shop's event volume: 20,000 customers and 20,000 products (about 1.6
# million events, 20,000 users x 20,000 items), cold, -j 2: each task's time, peak memory, and the
# recommend task's own timings (read, sparse matrix, each method's fit and ranking).
# Usage: bash bench/recommend/run.sh [CUSTOMERS] [PRODUCTS]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
customers="${1:-20000}"
products="${2:-20000}"
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/dev/null)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/dags" "$work/"
cd "$work"
printf 'loom: 1\n' > loom.yaml
/usr/bin/time -v "$repo/.build/release/loom" run dags/recommend.yaml -j 2 -q -P customers="$customers" -P products="$products" 2> time.txt
grep -E "Elapsed|Maximum resident" time.txt
"$repo/.build/release/loom" show last | grep -E "^  (ran|done)|events = |ndcg" || true
"$repo/.build/release/loom" logs last recommend
cat artifacts/latest/recommend/recommend/evaluation.csv
