#!/usr/bin/env bash
# Per-task overhead of the Slurm executor against the local one: N independent trivial shell tasks
# (default 100), cold, on the single-node cluster scripts/slurm-cluster.sh starts; and the floor
# Slurm itself sets: the same N jobs submitted with plain `sbatch --wrap` and waited for by polling
# squeue every 0.25 s. Also a chain of 10 dependent tasks (per-step latency).
# Usage: bash bench/run-slurm.sh [REPEATS] [N]   (default 3 and 100; medians, seconds)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
repeats="${1:-3}"
n="${2:-100}"
"$repo/scripts/slurm-cluster.sh" start >/dev/null
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/tmp/loom-bench-build.log 2>&1) || { cat /tmp/loom-bench-build.log; exit 1; }
loom="$repo/.build/release/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/p/dags"
cd "$work/p"
printf 'loom: 1\n' > loom.yaml
{ echo "tasks:"; for i in $(seq 1 "$n"); do echo "  t$i: {kind: shell, cmd: 'echo $i > \$LOOM_OUT/x'}"; done; } > dags/wide.yaml
{ echo "tasks:"; echo "  c1: {kind: shell, cmd: 'echo 1 > \$LOOM_OUT/x'}"; for i in $(seq 2 10); do echo "  c$i: {kind: shell, cmd: 'cat \$LOOM_IN/c$((i-1))/x > \$LOOM_OUT/x', needs: [c$((i-1))]}"; done; } > dags/chain.yaml

export LOOM="$loom" WORK="$work/p" REPEATS="$repeats" N="$n"
python3 - <<'PY'
import os, shutil, statistics, subprocess, time
loom, work, n = os.environ["LOOM"], os.environ["WORK"], int(os.environ["N"])

def fresh():
    for d in ("artifacts", "experiments"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)

def loom_run(dag, executor, jobs):
    fresh()
    t = time.perf_counter()
    subprocess.run([loom, "run", dag, "-q", "--executor", executor, "-j", str(jobs)], cwd=work, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t

def raw_sbatch():
    t = time.perf_counter()
    ids = [subprocess.run(["sbatch", "--parsable", "--output=/dev/null", "--wrap", "echo x > /dev/null"], check=True,
                          capture_output=True, text=True).stdout.strip() for _ in range(n)]
    while subprocess.run(["squeue", "--noheader", "--jobs=" + ",".join(ids), "--format=%i"], capture_output=True, text=True).stdout.strip():
        time.sleep(0.25)
    return time.perf_counter() - t

rows = {"wide local -j2": [], "wide slurm -j%d" % n: [], "raw sbatch x%d" % n: [], "chain10 local": [], "chain10 slurm": []}
for _ in range(int(os.environ["REPEATS"])):
    rows["wide local -j2"].append(loom_run("dags/wide.yaml", "local", 2))
    rows["wide slurm -j%d" % n].append(loom_run("dags/wide.yaml", "slurm", n))
    rows["raw sbatch x%d" % n].append(raw_sbatch())
    rows["chain10 local"].append(loom_run("dags/chain.yaml", "local", 2))
    rows["chain10 slurm"].append(loom_run("dags/chain.yaml", "slurm", 2))
med = {k: statistics.median(v) for k, v in rows.items()}
print(f"{'case':<22}{'median s':>10}{'per task ms':>13}")
for k, v in med.items():
    per = v / (10 if k.startswith("chain") else n) * 1000
    print(f"{k:<22}{v:>10.2f}{per:>13.1f}")
print(f"slurm/raw sbatch (wide): {med['wide slurm -j%d' % n] / med['raw sbatch x%d' % n]:.2f}x; "
      f"slurm/local (wide): {med['wide slurm -j%d' % n] / med['wide local -j2']:.1f}x; "
      f"chain10 slurm/local: {med['chain10 slurm'] / med['chain10 local']:.1f}x")
PY
