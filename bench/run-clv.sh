#!/usr/bin/env bash
# BG/NBD + Gamma-Gamma on the full CDNOW cohort (23,570 customers): Loom vs Python lifetimes,
# side by side in one run. Usage: bash bench/run-clv.sh [REPEATS]   (default 5; medians reported)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repeats="${1:-5}"
bash "$here/setup-python.sh"
mkdir -p "$here/data"
swift build -c release --package-path "$here" --product bench-clv >/dev/null
py=$("$here/.venv/bin/python" "$here/python/clv.py" "$here/data/cdnow_master.csv" "$repeats")
sw=$("$here/.build/release/bench-clv" "$here/data/cdnow_master.csv" "$repeats")
python3 - "$py" "$sw" <<'PY'
import json, sys
py, sw = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"customers: lifetimes {py['customers']}, loom {int(sw['customers'])}")
print(f"{'':28}{'loom':>12}{'lifetimes':>12}{'ratio':>8}")
for k, label in [("fit_median_s", "fit BG/NBD + GG (s)"), ("total_median_s", "summary + fit (s)")]:
    print(f"{label:28}{sw[k]:12.3f}{py[k]:12.3f}{sw[k] / py[k]:8.2f}x")
print(f"{'param':8}{'loom':>14}{'lifetimes':>14}{'rel diff':>12}")
for k in ["r", "alpha", "a", "b", "p", "q", "v"]:
    print(f"{k:8}{sw[k]:14.6f}{py[k]:14.6f}{abs(sw[k] - py[k]) / abs(py[k]):12.2e}")
PY
