#!/usr/bin/env bash
# Every benchmark, one after another (about 20-30 minutes on 2 cores). See bench/README.md.
# Usage: bash bench/run.sh [REPEATS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repeats="${1:-5}"
for b in engine clv gbdt kmeans csv; do
  echo "== $b"
  REPEATS="$repeats" bash "$here/run-$b.sh" "$repeats"
done
echo "== train and kmeans tasks (whole loom tasks vs Python scripts)"
REPEATS="$repeats" bash "$here/run-train.sh"
echo "== runs/diff history"
bash "$here/history/run.sh"
echo "== shop.yaml at 1 million events"
bash "$here/shop/run.sh"
