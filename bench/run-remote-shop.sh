#!/usr/bin/env bash
# A fresh clone reading dags/shop.yaml's artifacts through the S3 remote cache, against computing
# them: one project runs the DAG and pushes it (once); then, per repetition, a new project with the
# same DAG and remote runs it (everything served by the remote: downloaded and checked) and another
# new project runs it without the remote (everything computed). Same release binary, same server
# (SeaweedFS on loopback, scripts/s3-server.sh). -P customers=N sizes the shop (default: the DAG's).
# Usage: bash bench/run-remote-shop.sh [REPEATS] [CUSTOMERS]   (default 3; medians, seconds)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
repeats="${1:-3}"
customers="${2:-}"
eval "$("$repo/scripts/s3-server.sh" start >/dev/null && "$repo/scripts/s3-server.sh" env)"
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/tmp/loom-bench-build.log 2>&1) || { cat /tmp/loom-bench-build.log; exit 1; }
loom="$repo/.build/release/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="bench-shop/$(date +%s)-$$"
export LOOM="$loom" WORK="$work" REPO="$repo" REPEATS="$repeats" PREFIX="$prefix" CUSTOMERS="$customers" BUCKET="${LOOM_TEST_S3_BUCKET:-loom-test}"
python3 - <<'PY'
import os, shutil, statistics, subprocess, time
loom, work, repo = os.environ["LOOM"], os.environ["WORK"], os.environ["REPO"]
extra = ["-P", "customers=" + os.environ["CUSTOMERS"]] if os.environ["CUSTOMERS"] else []
url = "s3://%s/%s" % (os.environ["BUCKET"], os.environ["PREFIX"])

def project(name):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "dags"))
    shutil.copy(os.path.join(repo, "dags", "shop.yaml"), os.path.join(d, "dags"))
    open(os.path.join(d, "loom.yaml"), "w").write("loom: 1\n")
    subprocess.run([loom, "remote", "add", "team", url, "--endpoint", os.environ["AWS_ENDPOINT_URL"]], cwd=d, check=True, stdout=subprocess.DEVNULL)
    return d

def run(d, *args):
    t = time.perf_counter()
    out = subprocess.run([loom, "run", "dags/shop.yaml", "-q", *extra, *args], cwd=d, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out.strip().splitlines()[-1]

first, summary = run(project("origin"))
print(f"origin run and push: {first:.1f}s  ({summary})")
served, computed = [], []
for i in range(int(os.environ["REPEATS"])):
    t, s = run(project(f"remote{i}"))
    assert " 0 ran," in s, s
    served.append(t)
    t, s = run(project(f"local{i}"), "--no-remote")
    computed.append(t)
    shutil.rmtree(os.path.join(work, f"remote{i}")); shutil.rmtree(os.path.join(work, f"local{i}"))
a, b = statistics.median(served), statistics.median(computed)
print(f"fresh clone served by the remote: {a:.2f}s (median of {len(served)})")
print(f"fresh clone computing everything: {b:.2f}s")
print(f"remote/compute: {a / b:.2f}x")
PY
