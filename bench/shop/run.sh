#!/usr/bin/env bash
# The whole dags/shop.yaml at about 1 million events (12,500 customers), cold, -j 2: wall time and
# peak memory (the largest resident set of loom and its task processes, from GNU time).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/dev/null)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/dags" "$repo/loom.yaml" "$work/"
cd "$work"
/usr/bin/time -v "$repo/.build/release/loom" run dags/shop.yaml -j 2 -q -P customers=12500 2> time.txt
grep -E "Elapsed|Maximum resident" time.txt
"$repo/.build/release/loom" show last | grep -E "^  ran|events = "
