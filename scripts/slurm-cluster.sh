#!/usr/bin/env bash
# A real single-node Slurm cluster for the tests: Debian 12's slurm-wlm (Slurm 22.05) and munge,
# daemons started directly (no systemd) and tracked by their PID files. Needs root.
#
# Usage: scripts/slurm-cluster.sh start|stop|status|env
#   start   install (once, apt-get), write /etc/slurm/slurm.conf, start munged, slurmctld and
#           slurmd unless they run, wait for the controller and for the node to be usable
#           (resuming it if it is down or drained); idempotent. A changed configuration
#           (LOOM_SLURM_CPUS, another LOOM_SERVICES_DIR) restarts the Slurm daemons.
#   stop    stop slurmd, slurmctld and munged; state and logs stay in $LOOM_SERVICES_DIR/slurm
#   status  exit 0 if the controller answers and the node is usable, 1 otherwise
#   env     print `export` lines for the tests (eval them)
#
# Settings (environment): LOOM_SERVICES_DIR (default /tmp/loom-services), LOOM_SLURM_CPUS (2: the
# CPUs the node advertises; SlurmdParameters=config_overrides lets it claim more than it has).
# The controller and node are addressed as 127.0.0.1 (ports 6817 and 6818).
set -euo pipefail
SERVICE=slurm-cluster
# shellcheck source=scripts/services-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/services-lib.sh"

# The daemons, runuser and mungekey live in sbin, which a minimal PATH (cron, CI) may lack.
PATH="$PATH:/usr/sbin:/sbin"
CPUS="${LOOM_SLURM_CPUS:-2}"
HOST="$(hostname -s)"
DIR="$LOOM_SERVICES_DIR/slurm"
CONF=/etc/slurm/slurm.conf
CTLD_LOG="$DIR/slurmctld.log"
SLURMD_LOG="$DIR/slurmd.log"
CTLD_PID="$DIR/slurmctld.pid"
SLURMD_PID="$DIR/slurmd.pid"
JOBCOMP="$DIR/jobcomp.txt"
MUNGE_PID=/run/munge/munged.pid
MUNGE_LOG=/var/log/munge/munged.log
START_TIMEOUT=30

print_env() {
  cat <<EOF
export LOOM_TEST_SLURM=1
export LOOM_TEST_SLURM_PARTITION=debug
export LOOM_TEST_SLURM_JOBCOMP=$JOBCOMP
EOF
}

# write_config: writes $CONF; sets CONFIG_CHANGED=1 when its content changed.
CONFIG_CHANGED=0
STARTED=0  # set when this invocation started slurmctld or slurmd
write_config() {
  [[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || fail "LOOM_SLURM_CPUS must be a positive integer, got '$CPUS'"
  local mem_kb
  mem_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
  local real_memory=$((mem_kb / 1024 - 256))
  mkdir -p "$DIR/state" "$DIR/spool" /etc/slurm
  cat > "$CONF.loom-new" <<EOF
# Written by Loom's scripts/slurm-cluster.sh: a single-node cluster for the tests.
# Edits are overwritten on the next start.
ClusterName=loom
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$JOBCOMP
MailProg=/bin/true
MpiDefault=none
MinJobAge=600
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
DefMemPerCPU=256
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
SlurmdParameters=config_overrides
# Bind to 127.0.0.1 (what SlurmctldHost and NodeAddr name) instead of every address.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$real_memory State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  if cmp -s "$CONF.loom-new" "$CONF"; then
    rm -f "$CONF.loom-new"
  else
    mv "$CONF.loom-new" "$CONF"
    CONFIG_CHANGED=1
    say "wrote $CONF (node $HOST, $CPUS CPUs, RealMemory=$real_memory MB)"
  fi
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  munge_works && return 0
  [ -s /etc/munge/munge.key ] || {
    say "creating /etc/munge/munge.key"
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key \
      || fail "could not create /etc/munge/munge.key"
  }
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge
  if ! pid_of "$MUNGE_PID" munged >/dev/null; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged >/dev/null 2>&1 || fail "munged did not start" "$MUNGE_LOG"
  fi
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    munge_works && return 0
    sleep 0.1
  done
  fail "munge does not work (munge -n | unmunge) ${START_TIMEOUT}s after starting munged" "$MUNGE_LOG"
}

controller_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }

# node_state: the node's state as sinfo prints it (idle, mix, alloc, down*, drain, ...).
node_state() { sinfo -h -n "$HOST" -o '%t' 2>/dev/null | head -n 1; }

node_usable() {
  case "$(node_state)" in
    idle | mix | alloc | comp | completing) return 0 ;;
    *) return 1 ;;
  esac
}

start_daemons() {
  local i
  if ! pid_of "$CTLD_PID" slurmctld >/dev/null; then
    STARTED=1
    say "starting slurmctld (log: $CTLD_LOG)"
    # -c: start with no jobs. A controller that is not running was stopped or killed (the end of a
    # session kills it without a chance to save); jobs it recovered would run again and hold CPUs.
    slurmctld -c >>"$DIR/slurmctld.out" 2>&1 || fail "slurmctld did not start" "$DIR/slurmctld.out" "$CTLD_LOG"
  fi
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    controller_up && break
    sleep 0.1
  done
  controller_up || fail "slurmctld does not answer 'scontrol ping' after ${START_TIMEOUT}s" "$CTLD_LOG"
  if ! pid_of "$SLURMD_PID" slurmd >/dev/null; then
    STARTED=1
    say "starting slurmd (log: $SLURMD_LOG)"
    slurmd >>"$DIR/slurmd.out" 2>&1 || fail "slurmd did not start" "$DIR/slurmd.out" "$SLURMD_LOG"
  fi
  local state resumed=0
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    state="$(node_state)"
    case "$state" in
      idle | mix | alloc | comp) return 0 ;;
      down | drain | drng | drained | fail | failg)
        # Left down or drained by an earlier run (a stop in the middle of a job, a config change):
        # the node itself is fine once slurmd has registered.
        if [ "$resumed" -eq 0 ]; then
          say "node $HOST is '$state': resuming it"
          scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    sleep 0.1
  done
  fail "node $HOST is '$state', not idle, ${START_TIMEOUT}s after starting slurmd ($(scontrol show node "$HOST" 2>/dev/null | grep -o 'Reason=.*' || true))" \
    "$SLURMD_LOG" "$CTLD_LOG"
}

# probe_job: runs a trivial job to the end. After slurmctld starts, it schedules the first job
# only about 3 s later; waiting here keeps that delay out of the tests' timings, and proves that
# jobs really run (munge credentials, slurmd, the spool directory) before any test relies on it.
probe_job() {
  local id state i t0
  t0="$(date +%s%N)"
  id="$(sbatch --parsable --job-name=loom-services-probe --chdir="$DIR" --output="$DIR/probe.out" \
    --wrap true 2>&1)" || fail "sbatch of a probe job failed: $id" "$CTLD_LOG"
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    state="$(scontrol show job -o "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)"
    case "$state" in
      COMPLETED)
        say "probe job $id completed $(( ($(date +%s%N) - t0) / 1000000 )) ms after submission"
        return 0 ;;
      PENDING | CONFIGURING | RUNNING | COMPLETING | "") ;;
      *) fail "probe job $id ended $state: $(scontrol show job -o "$id" 2>/dev/null)" "$DIR/probe.out" "$SLURMD_LOG" "$CTLD_LOG" ;;
    esac
    sleep 0.1
  done
  scancel "$id" 2>/dev/null || true
  fail "probe job $id is still '$state' ${START_TIMEOUT}s after submission" "$SLURMD_LOG" "$CTLD_LOG"
}

stop_daemons() {
  stop_pid "$SLURMD_PID" slurmd 10
  stop_pid "$CTLD_PID" slurmctld 10
}

start() {
  [ "$(id -u)" -eq 0 ] || fail "must run as root (it installs packages and starts munged and slurmd)"
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    apt_install slurm-wlm munge
  fi
  mkdir -p "$DIR"
  write_config
  if [ "$CONFIG_CHANGED" -eq 1 ] && { pid_of "$CTLD_PID" slurmctld >/dev/null || pid_of "$SLURMD_PID" slurmd >/dev/null; }; then
    say "configuration changed: restarting the Slurm daemons"
    stop_daemons
  fi
  start_munge
  start_daemons
  [ "$STARTED" -eq 0 ] || probe_job
  say "running: controller $HOST (127.0.0.1), node $HOST $(node_state), partition debug"
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_daemons
    stop_pid "$MUNGE_PID" munged 10 ;;
  status)
    if controller_up && node_usable; then
      say "running: node $HOST $(node_state)"
    else
      say "not running (controller: $(controller_up && echo up || echo down), node: $(node_state || true))"
      exit 1
    fi ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
