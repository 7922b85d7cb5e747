#!/bin/sh
# Sweep throughput on this machine: 4 runs of a preset (seeds 0-3, fixed steps, each split), two
# at a time with --threads 1 against one at a time with --threads 2; ROUNDS rounds, the medians
# of the wall times, and runs per hour.
#
# usage: bench/sweep.sh [BINDIR [ROUNDS]]
set -eu
BIN=${1:-bin}
ROUNDS=${2:-3}
. "$(dirname "$0")/lib.sh"
scratch sweep
one() {   # preset split steps seed threads
    "$BIN/grok-train" --preset "$1" --split "$2" --steps "$3" --seed "$4" --threads "$5" \
        --snapshot-every 0 --eval-every 500 --checkpoint-every 0 -q -o "$dir/run-$4.h5"
}
pairs() { one "$@" 0 1 & one "$@" 1 1; wait; one "$@" 2 1 & one "$@" 3 1; wait; }
serial() { for seed in 0 1 2 3; do one "$@" "$seed" 2; done; }
printf 'preset\tsplit\tsteps\tside_by_side_1_thread_s\truns_per_h\tone_at_a_time_2_threads_s\truns_per_h\n'
for cfg in "xu random 1500" "xu uniform 1500" "alquabeh uniform 3000" "alquabeh random 3000"; do
    set -- $cfg
    a=$(for r in $(seq "$ROUNDS"); do secs pairs "$@"; done | median)
    b=$(for r in $(seq "$ROUNDS"); do secs serial "$@"; done | median)
    printf '%s\t%s\t%s\t%.1f\t%.0f\t%.1f\t%.0f\n' "$1" "$2" "$3" "$a" "$(echo "4 * 3600 / $a" | bc -l)" \
        "$b" "$(echo "4 * 3600 / $b" | bc -l)"
done
