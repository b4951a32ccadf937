#!/usr/bin/env bash
# Starts the real services the tests need and prints their environment for the tests.
#
# Usage: scripts/services.sh [start|stop|status|env] [s3] [slurm]
#   start (the default) starts the named services (default: all) side by side, then prints the
#   `export` lines of all of them on stdout; progress and errors go to stderr. It fails, naming
#   the service and showing its log tail, when any of them cannot start. Typical use:
#     svc_env="$(scripts/services.sh)" && eval "$svc_env"
#   stop, status and env run the same command of each named service.
# The services: s3 = scripts/s3-server.sh (SeaweedFS), slurm = scripts/slurm-cluster.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

action=start
case "${1:-}" in
  start | stop | status | env) action="$1"; shift ;;
esac
names=("$@")
[ "${#names[@]}" -gt 0 ] || names=(s3 slurm)
scripts=()
for name in "${names[@]}"; do
  case "$name" in
    s3) scripts+=("$here/s3-server.sh") ;;
    slurm) scripts+=("$here/slurm-cluster.sh") ;;
    *) echo "services.sh: unknown service '$name' (known: s3, slurm)" >&2
       echo "usage: $0 [start|stop|status|env] [s3] [slurm]" >&2; exit 2 ;;
  esac
done

case "$action" in
  start)
    # Side by side: the S3 server's start overlaps the Slurm probe job's ~3 s wait.
    pids=()
    for script in "${scripts[@]}"; do
      "$script" start </dev/null >&2 &
      pids+=($!)
    done
    failed=()
    for i in "${!pids[@]}"; do
      wait "${pids[$i]}" || failed+=("${names[$i]}")
    done
    if [ "${#failed[@]}" -gt 0 ]; then
      echo "services.sh: error: could not start: ${failed[*]} (see the messages above)" >&2
      exit 1
    fi
    for script in "${scripts[@]}"; do "$script" env; done ;;
  status)
    rc=0
    for script in "${scripts[@]}"; do "$script" status || rc=1; done
    exit "$rc" ;;
  stop | env)
    for script in "${scripts[@]}"; do "$script" "$action"; done ;;
esac
