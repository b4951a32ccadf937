#!/usr/bin/env bash
# Loom's engine against GNU make and ninja on the same trivial work, and hashing against Python's
# hashlib. Usage: bash bench/run-engine.sh [REPEATS]   (default 5; medians; ~5 minutes)
# Tools take turns within each repetition; no-op runs are repeated 3 x REPEATS times.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
repeats="${1:-5}"
command -v ninja >/dev/null || { apt-get update -qq && apt-get install -y -qq ninja-build >/dev/null; }
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/tmp/loom-bench-build.log 2>&1) || { cat /tmp/loom-bench-build.log; exit 1; }
# SwiftPM keeps a list of the Loom dependency's source files that goes stale when one is deleted
# ("missing inputs"): then drop the lists and build again.
swift build -c release --package-path "$here" --product bench-engine >/tmp/loom-bench-build.log 2>&1 \
  || { rm -f "$here"/.build/*/release/*.build/sources; swift build -c release --package-path "$here" --product bench-engine >/tmp/loom-bench-build.log 2>&1; } \
  || { cat /tmp/loom-bench-build.log; exit 1; }
loom="$repo/.build/release/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export LOOM="$loom" REPEATS="$repeats" WORK="$work" HERE="$here"
python3 - <<'PY'
import os, shutil, statistics, subprocess, time
loom, repeats, work, here = os.environ["LOOM"], int(os.environ["REPEATS"]), os.environ["WORK"], os.environ["HERE"]

def run(cmd, cwd):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t

def fresh(kind, n, tool):
    d = os.path.join(work, f"{kind}-{n}-{tool}")
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run(["python3", os.path.join(here, "engine", "gen.py"), kind, str(n), d], check=True)
    return d

def clean(d):
    for p in ["artifacts", "experiments", "o", "all", ".ninja_log", ".ninja_deps"]:
        q = os.path.join(d, p)
        shutil.rmtree(q, ignore_errors=True) if os.path.isdir(q) else (os.path.exists(q) and os.remove(q))

tools = {"loom": lambda: [loom, "run", "dags/bench.yaml", "-q", "-j", "2"], "ninja": lambda: ["ninja", "-j", "2"], "make": lambda: ["make", "-j", "2", "-s"]}
rows = []
# The machine is shared and its speed drifts by tens of percent within minutes, so the tools take
# turns: each repetition runs every tool once, and medians compare runs made side by side.
for kind, n in [("wide", 1000), ("chain", 200)]:
    cold, noop, last = {t: [] for t in tools}, {t: [] for t in tools}, {}
    for r in range(repeats):
        for tool, cmd in tools.items():
            # Each repetition starts in a new directory: reusing one that was just emptied makes
            # ext4's inode allocation slower and slower for every tool.
            last[tool] = fresh(kind, n, f"{tool}{r}")
            cold[tool].append(run(cmd(), last[tool]))
    status = []
    for r in range(3 * repeats):   # no-op runs are milliseconds: take more of them
        for tool, cmd in tools.items():
            noop[tool].append(run(cmd(), last[tool]))
        status.append(run([loom, "status", "dags/bench.yaml"], last["loom"]))
    med = lambda d: {t: statistics.median(v) for t, v in d.items()}
    # The issue's targets are for the 1,000 tasks; the chain's no-op rows are for information (a
    # few milliseconds, mostly process start-up and the run record, against ninja's two).
    rows.append((f"{kind} {n}: cold -j2", med(cold), 1.5))
    rows.append((f"{kind} {n}: no-op", med(noop), 2.0 if kind == "wide" else None))
    nm = med(noop)
    rows.append((f"{kind} {n}: loom status vs ninja no-op", {"loom": statistics.median(status), "ninja": nm["ninja"], "make": nm["make"]},
                 2.0 if kind == "wide" else None))

print(f"{'scenario':40}{'loom':>10}{'ninja':>10}{'make':>10}{'loom/ninja':>12}{'target':>8}")
for name, t, target in rows:
    ratio = t["loom"] / t["ninja"]
    verdict = f"{('<= %.1fx' % target):>9} {'ok' if ratio <= target else 'MISSED'}" if target else f"{'(info)':>9}"
    print(f"{name:40}{t['loom']:10.3f}{t['ninja']:10.3f}{t['make']:10.3f}{ratio:11.2f}x{verdict}")

big = os.path.join(work, "1gib.bin")
with open(big, "wb") as f:
    block = os.urandom(1 << 20)
    for _ in range(1024):
        f.write(block)
run(["cat", big], work)   # warm the page cache once: both sides then read from memory
sw = statistics.median([float(subprocess.run([os.path.join(here, ".build", "release", "bench-engine"), big], capture_output=True, text=True, check=True).stdout) for _ in range(repeats)])
py = statistics.median([float(subprocess.run([os.path.join(here, ".venv", "bin", "python") if os.path.exists(os.path.join(here, ".venv", "bin", "python")) else "python3",
                                              os.path.join(here, "python", "hash.py"), big], capture_output=True, text=True, check=True).stdout) for _ in range(repeats)])
gb = (1 << 30) / 1e9
print(f"{'sha256 1 GiB (GB/s)':40}{gb / sw:10.2f}{'':10}{'':10}{'hashlib':>12}{gb / py:8.2f}  loom/hashlib {py / sw:.2f} (target >= 0.80) {'ok' if py / sw >= 0.8 else 'MISSED'}")
PY
