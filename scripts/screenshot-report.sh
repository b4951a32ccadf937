#!/usr/bin/env bash
# Renders a report with headless Chromium to a PNG of the whole page, to look at it as a person would.
# Usage: scripts/screenshot-report.sh [REPORT] [OUT.png]
#   REPORT: a run directory (experiments/<run>/, its report.html), a task's artifact directory
#           (artifacts/latest/shop/report/, the analytics report the `report` kind writes), or an
#           HTML file; default: the newest run under experiments/.
# The page is measured first (Chromium runs a copy with a script that writes its height and width
# into the title), then shot at that size, so a long report is not cut (it was at 1,400 px).
# Installs Debian's chromium if it is missing (needs root and the Debian mirror).
set -euo pipefail
src="${1:-$(ls -d experiments/2*/ 2>/dev/null | sort | tail -1)}"
out="${2:-/tmp/loom-report.png}"
if [ -d "$src" ]; then src="${src%/}/report.html"; fi
[ -f "$src" ] || { echo "no report at '$src' (give a run directory, a task's artifact directory or an HTML file)" >&2; exit 2; }
if ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A copy outside the store (artifacts are read-only and may be links), plus one that measures itself.
cp "$src" "$work/page.html"
{ cat "$src"; echo '<script>document.title = "size " + document.documentElement.scrollWidth + "x" + document.documentElement.scrollHeight;</script>'; } > "$work/measure.html"
run_chromium() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "$@" 2>/dev/null; }
size="$(run_chromium --window-size=1100,800 --dump-dom "file://$work/measure.html" | sed -n 's/.*<title>size \([0-9]*x[0-9]*\)<\/title>.*/\1/p' | head -1)"
width="${size%x*}"; height="${size#*x}"
if [ -z "$size" ]; then width=1100; height=4000; echo "could not measure the page; shooting 1100x4000" >&2; fi
[ "$width" -lt 1100 ] && width=1100
# Chromium refuses very large surfaces; a page taller than this is cut (and says so).
max=16000
if [ "$height" -gt "$max" ]; then echo "the page is ${height} px tall; the picture shows its first ${max} px" >&2; height=$max; fi
run_chromium --window-size="$width,$height" --screenshot="$out" "file://$work/page.html"
echo "$out (${width}x${height})"
