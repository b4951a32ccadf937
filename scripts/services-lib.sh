# shellcheck shell=bash
# Shared by scripts/s3-server.sh and scripts/slurm-cluster.sh (sourced, not run).
# Daemons are started directly (there is no systemd) and tracked by PID files; every failure
# says what failed and shows the tail of the log that explains it.

LOOM_SERVICES_DIR="${LOOM_SERVICES_DIR:-/tmp/loom-services}"

# Progress goes to stderr, so that `env` output on stdout can be eval'ed.
say() { printf '%s: %s\n' "$SERVICE" "$*" >&2; }

# fail MESSAGE [LOGFILE...]: prints the message and the last 40 lines of each log, exits 1.
fail() {
  local message="$1"; shift
  printf '%s: error: %s\n' "$SERVICE" "$message" >&2
  local log
  for log in "$@"; do
    if [ -s "$log" ]; then
      printf -- '--- last 40 lines of %s ---\n' "$log" >&2
      tail -n 40 "$log" >&2
      printf -- '--- end of %s ---\n' "$log" >&2
    elif [ -n "$log" ]; then
      printf '(%s is empty or missing)\n' "$log" >&2
    fi
  done
  exit 1
}

# pid_of PIDFILE NAME: prints the PID in PIDFILE if that process is alive and its command line
# contains NAME (so a PID reused by another program is never taken for ours); fails otherwise.
pid_of() {
  local pidfile="$1" name="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(tr -dc '0-9' < "$pidfile")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$name" || return 1
  printf '%s\n' "$pid"
}

# stop_pid PIDFILE NAME SECONDS: SIGTERM, then SIGKILL after SECONDS; removes the PID file.
stop_pid() {
  local pidfile="$1" name="$2" seconds="$3" pid i
  if ! pid="$(pid_of "$pidfile" "$name")"; then
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 10; i++)); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "$name (pid $pid) still running ${seconds}s after SIGTERM: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pidfile"
  say "stopped $name (pid $pid)"
}

# apt_install PACKAGE...: installs the packages that are missing, with one `apt-get update` first.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || fail "need root to install ${missing[*]} with apt-get"
  local log="$LOOM_SERVICES_DIR/apt-$SERVICE.log" lock
  mkdir -p "$LOOM_SERVICES_DIR"
  # Both services may install at once (scripts/services.sh starts them side by side): one apt at a time.
  exec {lock}>"$LOOM_SERVICES_DIR/apt.lock"
  flock "$lock"
  say "installing ${missing[*]} (apt-get, log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >"$log" 2>&1 || fail "apt-get update failed" "$log"
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || fail "apt-get install ${missing[*]} failed" "$log"
  exec {lock}>&-
}
