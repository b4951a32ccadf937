#!/usr/bin/env bash
# Times `loom runs` and `loom diff` on 1,000 recorded runs of a 50-task DAG (issue target: < 200 ms).
# Usage: bash bench/history/run.sh            (builds loom in release; ~1 minute to record the runs)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/dev/null)
loom="$repo/.build/release/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dags"
{
  echo "params: {seed: 1}"
  echo "tasks:"
  for i in $(seq 0 49); do
    echo "  t$i:"
    echo "    kind: shell"
    [ "$i" -gt 0 ] && echo "    needs: [t$(( (i - 1) / 2 ))]"
    echo "    cmd: |"
    echo "      echo '{\"auc\": 0.$((i + 10)), \"rows\": $i}' > \$LOOM_OUT/metrics.json"
  done
} > "$work/dags/wide.yaml"
cd "$work"
"$loom" run dags/wide.yaml -q -j 2 >/dev/null
for i in $(seq 2 1000); do "$loom" run dags/wide.yaml -q >/dev/null; done
echo "recorded $(ls experiments | wc -l) runs of a 50-task DAG"
python3 - "$loom" <<'PY'
import statistics, subprocess, sys, time
loom = sys.argv[1]
def median_ms(args, n=11):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([loom] + args, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
rows = [("loom runs", ["runs"]), ("loom runs --limit 1000", ["runs", "--limit", "1000"]),
        ("loom runs --metrics t1.auc,t2.auc", ["runs", "--metrics", "t1.auc,t2.auc"]),
        ("loom diff (last two)", ["diff"]), ("loom diff last~500 last", ["diff", "last~500", "last"])]
print(f"{'command':36} {'median ms':>10}  target")
for name, args in rows:
    m = median_ms(args)
    print(f"{name:36} {m:10.1f}  < 200 ms {'ok' if m < 200 else 'MISSED'}")
PY
