#!/usr/bin/env bash
# Renders a run's report.html with headless Chromium to a PNG, to look at it as a person would.
# Usage: scripts/screenshot-report.sh [RUN_DIR] [OUT.png]   (default: the newest run under experiments/)
# Installs Debian's chromium if it is missing (needs root and the Debian mirror).
set -euo pipefail
run="${1:-$(ls -d experiments/*/ 2>/dev/null | sort | tail -1)}"
out="${2:-/tmp/loom-report.png}"
[ -f "$run/report.html" ] || { echo "no report.html in '$run'" >&2; exit 2; }
if ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1400 \
  --screenshot="$out" "file://$(cd "$run" && pwd)/report.html" 2>/dev/null
echo "$out"
