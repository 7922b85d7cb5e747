#!/bin/sh
# slurm-local.sh start DIR | stop DIR: a single-node Slurm cluster on this machine, for the
# sweep tests (tests/cli/t-sweep.sh) and for trying examples/lib/slurm-sweep.sh without a
# cluster. Everything lives in DIR: the munge key and socket, slurm.conf, the daemons' state,
# spool, PID and log files. `start` prints the line to eval for the client commands
# (export SLURM_CONF=DIR/slurm.conf) once the node is idle; `stop` stops the daemons by their
# PID files (slurmd, slurmctld, munged, in that order) and removes DIR.
#
# What was found to work on these machines (Debian 12, Slurm 22.05, no systemd, no cgroups) is
# in shared/slurm-notes.md: linuxproc process tracking, no task plugin, no accounting, our own
# munge key and socket, non-default ports, ReturnToService=2.
set -eu
cmd=${1:-} dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: tools/slurm-local.sh start|stop DIR" >&2
    exit 2
fi

stop_pid() {   # stop the daemon whose PID file is $1, waiting until it has gone
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

case $cmd in
stop)
    [ -d "$dir" ] || exit 0
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munge/munged.pid"
    rm -rf "$dir"
    exit 0
    ;;
start) ;;
*)
    echo "slurm-local.sh: unknown command '$cmd' (start or stop)" >&2
    exit 2
    ;;
esac

for p in munged mungekey slurmctld slurmd sinfo; do
    command -v "$p" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
done
command -v slurmctld >/dev/null 2>&1 || { echo "slurm-local.sh: no slurmctld (apt-get install slurm-wlm munge)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
host=$(hostname -s)
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 755 "$dir/munge"   # a socket folder others can reach lets any user submit
mungekey -c -k "$dir/munge/munge.key" >/dev/null 2>&1
chmod 400 "$dir/munge/munge.key"
munged -f -S "$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed"

# Ports from the folder's name, so that two clusters on one machine do not clash.
base=$(( 20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000 ))
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=grok-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$(( base + 1 ))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES State=UP MaxTime=INFINITE
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 150); do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1)
    if [ "$state" = idle ]; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 0.2
done
echo "slurm-local.sh: the node did not become idle in 30 s (logs in $dir/log)" >&2
exit 1
