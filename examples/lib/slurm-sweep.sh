#!/bin/sh
# slurm-sweep.sh SWEEP DIR RUNS LOGS MAKE [SBATCH-FLAG...]: submits the sweep's runs as one Slurm
# job array, task i making the i-th row's run with the same make rule as `make sweep` (so a
# finished run is skipped and an interrupted one resumed). Writes LOGS/sweep.sbatch, prints the
# job's id on standard output; each task's Slurm output is LOGS/slurm-JOB_TASK.out and the run's
# log LOGS/NAME.log. With DRY_RUN=1 it prints the script and the sbatch command instead.
# A failed task is re-run alone with `sbatch --array=TASK LOGS/sweep.sbatch` (or the whole array
# again: the finished runs cost nothing).
set -eu
sweep=$1 dir=$2 runs=$3 logs=$4 make=$5
shift 5
names=$(awk -F'\t' '!/^#/ && NF && $1 != "name" { print $1 }' "$sweep")
n=$(printf '%s\n' "$names" | grep -c .)
if [ "$n" -eq 0 ]; then
    echo "slurm-sweep.sh: $sweep: no runs" >&2
    exit 1
fi
mkdir -p "$dir/$logs"
script="$dir/$logs/sweep.sbatch"
cat >"$script" <<SBATCH
#!/bin/sh
#SBATCH --job-name=grok-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=$dir/$logs/slurm-%A_%a.out
# Task i of the array makes the run of row i of $sweep (rows counted from 1, header excluded).
set -eu
name=\$(awk -F'\t' -v i="\$SLURM_ARRAY_TASK_ID" '!/^#/ && NF && \$1 != "name" && ++n == i { print \$1 }' "$dir/$sweep")
# sbatch passes on the submitting shell's environment, and with it the jobserver of a parallel
# make that submitted the job (MAKEFLAGS names its pipe's descriptors, which mean nothing here)
unset MAKEFLAGS MFLAGS MAKELEVEL
exec $make -C "$dir" "$runs/\$name.h5"
SBATCH
if [ "${DRY_RUN:-0}" = 1 ]; then
    cat "$script"
    echo "sbatch --parsable --array=1-$n $* $script"
    exit 0
fi
sbatch --parsable --array=1-"$n" "$@" "$script"
