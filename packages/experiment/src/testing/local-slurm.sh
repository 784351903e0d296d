#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the distributed-grid test: slurmctld and
# slurmd on localhost with their own config, state and ports under DIR, munge for auth.
#
#   local-slurm.sh start DIR   # prints SLURM_CONF=DIR/slurm.conf once the node is idle
#   local-slurm.sh stop DIR    # stops the daemons this script started (by their pid files)
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and munge. munged is
# started only when none is running, and then stopped again by `stop`.
set -euo pipefail
cmd=${1:?start or stop}
dir=$(realpath -m "${2:?DIR for the cluster files}")

stop() {
  # Jobs first (this cluster's only: it has its own slurmctld), so no job step outlives slurmd.
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF="$dir/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -t running 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for d in slurmd slurmctld munged; do
    pidfile="$dir/$d.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "local-slurm: needs root (slurmd starts jobs as their user)" >&2; exit 3; }
for b in slurmctld slurmd sbatch scontrol sinfo munged; do
  command -v "$b" >/dev/null || { echo "local-slurm: $b not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
done

mkdir -p "$dir/state" "$dir/spool" "$dir/log"
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
# Ports of their own, so a real Slurm on this machine (if any) is left alone.
port=${LOCAL_SLURM_PORT:-16817}
munge_socket=/run/munge/munge.socket.2
if ! pgrep -x munged >/dev/null; then
  # Our own munged, with its socket under DIR; the key is the one Debian's package made.
  munge_socket="$dir/munge.socket"
  [ -f /etc/munge/munge.key ] || { echo "local-slurm: no /etc/munge/munge.key (reinstall munge)" >&2; exit 3; }
  mkdir -p "$dir/munge-log"
  munged --force --socket="$munge_socket" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munge-log/munged.log" --seed-file="$dir/munge.seed" \
    || { echo "local-slurm: munged did not start" >&2; exit 3; }
fi
cat >"$dir/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$munge_socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=3600
KillWait=5
SchedulerParameters=sched_interval=1,bf_interval=1
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF" || { echo "local-slurm: slurmctld did not start; see $dir/log/slurmctld.log" >&2; stop; exit 3; }
slurmd -f "$SLURM_CONF" || { echo "local-slurm: slurmd did not start; see $dir/log/slurmd.log" >&2; stop; exit 3; }
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  if [ "$state" = idle ]; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "local-slurm: node never became idle (state '${state:-none}'); see $dir/log" >&2
stop
exit 3
