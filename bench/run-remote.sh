#!/usr/bin/env bash
# Loom's S3 remote cache against the AWS CLI on the same server (SeaweedFS on loopback, started by
# scripts/s3-server.sh): push and pull of one artifact of SIZE_MIB (default 1024) random bytes.
# Usage: bash bench/run-remote.sh [REPEATS] [SIZE_MIB]   (default 3 and 1024; medians, MB/s)
# Each repetition pushes under a new prefix (so every blob goes up), then pulls into a new project.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
repeats="${1:-3}"
size="${2:-1024}"
eval "$("$repo/scripts/s3-server.sh" start >/dev/null && "$repo/scripts/s3-server.sh" env)"
venv="$here/.venv-remote"
[ -x "$venv/bin/aws" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q awscli; }
(cd "$repo" && swift build -c release --static-swift-stdlib --product loom >/tmp/loom-bench-build.log 2>&1) || { cat /tmp/loom-bench-build.log; exit 1; }
loom="$repo/.build/release/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bucket="${LOOM_TEST_S3_BUCKET:-loom-test}"

mkdir -p "$work/a/dags"
cd "$work/a"
printf 'loom: 1\n' > loom.yaml
printf 'tasks:\n  big: {kind: shell, cmd: "head -c %sM /dev/urandom > $LOOM_OUT/big.bin"}\n' "$size" > dags/b.yaml
"$loom" run dags/b.yaml -q --no-remote >/dev/null
file="$("$loom" path dags/b.yaml big)/big.bin"
sync

export LOOM="$loom" WORK="$work" FILE="$file" BUCKET="$bucket" REPEATS="$repeats" SIZE="$size" AWS="$venv/bin/aws"
python3 - <<'PY'
import os, statistics, subprocess, time, uuid
loom, work, file, bucket, aws = os.environ["LOOM"], os.environ["WORK"], os.environ["FILE"], os.environ["BUCKET"], os.environ["AWS"]
mb = int(os.environ["SIZE"]) * 1048576 / 1e6
endpoint = os.environ["AWS_ENDPOINT_URL"]

def timed(cmd, cwd):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t

def project(name, prefix):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "dags"), exist_ok=True)
    subprocess.run(["cp", os.path.join(work, "a", "dags", "b.yaml"), os.path.join(d, "dags", "b.yaml")], check=True)
    with open(os.path.join(d, "loom.yaml"), "w") as f:
        f.write(f'loom: 1\nremotes:\n  r: {{url: "s3://{bucket}/{prefix}", endpoint: "{endpoint}"}}\ndefault_remote: r\n')
    return d

rows = {"push": {"loom": [], "aws": []}, "pull": {"loom": [], "aws": []}}
for r in range(int(os.environ["REPEATS"])):
    prefix = "bench/" + uuid.uuid4().hex
    a = project(f"push{r}", prefix)
    os.makedirs(os.path.join(a, "artifacts"), exist_ok=True)
    subprocess.run(["rm", "-rf", os.path.join(a, "artifacts")], check=True)
    subprocess.run(["cp", "-a", os.path.join(work, "a", "artifacts"), os.path.join(a, "artifacts")], check=True)
    rows["push"]["loom"].append(timed([loom, "push", "dags/b.yaml"], a))
    rows["push"]["aws"].append(timed([aws, "s3", "cp", file, f"s3://{bucket}/{prefix}-aws/big.bin", "--endpoint-url", endpoint, "--only-show-errors"], work))
    subprocess.run(["sync"], check=True)
    b = project(f"pull{r}", prefix)
    rows["pull"]["loom"].append(timed([loom, "pull", "dags/b.yaml"], b))
    rows["pull"]["aws"].append(timed([aws, "s3", "cp", f"s3://{bucket}/{prefix}-aws/big.bin", os.path.join(work, f"aws{r}.bin"), "--endpoint-url", endpoint, "--only-show-errors"], work))
    os.remove(os.path.join(work, f"aws{r}.bin"))
    subprocess.run(["rm", "-rf", b, a], check=True)

print(f"{'one artifact of %d MiB' % int(os.environ['SIZE']):28}{'loom s':>10}{'aws s':>10}{'loom MB/s':>11}{'aws MB/s':>10}{'loom/aws time':>15}")
for op in ["push", "pull"]:
    l, w = statistics.median(rows[op]["loom"]), statistics.median(rows[op]["aws"])
    print(f"{op:28}{l:10.2f}{w:10.2f}{mb / l:11.0f}{mb / w:10.0f}{l / w:14.2f}x")
PY
