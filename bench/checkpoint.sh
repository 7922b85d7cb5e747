#!/bin/sh
# The cost of grok-train's checkpoints on the Nanda preset, side by side: the same short
# training with and without checkpoints, alternated ROUNDS times, medians compared.
#
# usage: bench/checkpoint.sh [BINDIR [ROUNDS]]
#
# The run is the Nanda model with as many snapshots as the whole preset keeps (51: every 500
# of 25 000 steps), packed into STEPS steps, so that the file a checkpoint copies grows to the
# size of a full Nanda run. One arm checkpoints every STEPS/N steps (N checkpoints), the other
# never. The extra time over N is the mean cost of one checkpoint, of a run half the final size
# on average. Then a checkpoint of the whole run is timed directly, again side by side: the
# finished run continued by one step with one checkpoint (--checkpoint-every 1) and without.
# At the default interval (one every 60 s) the share of a run's time spent on checkpoints is at
# most the whole run's checkpoint / 60 s.
set -eu
BIN=${1:-bin}
ROUNDS=${2:-3}
STEPS=${STEPS:-600}
N=${N:-20}
flags="--preset nanda --steps $STEPS --snapshot-every $((STEPS / 50)) --threads 0 -q"

. "$(dirname "$0")/lib.sh"
scratch ckbench

: >"$dir/off"
: >"$dir/on"
for r in $(seq "$ROUNDS"); do
    secs "$BIN/grok-train" $flags --checkpoint-every 0 -o "$dir/off.h5" >>"$dir/off"
    secs "$BIN/grok-train" $flags --checkpoint-every $((STEPS / N)) -o "$dir/on.h5" >>"$dir/on"
    echo "round $r: without $(tail -1 "$dir/off") s, with $N checkpoints $(tail -1 "$dir/on") s" >&2
done
# One checkpoint of the whole run: 1-step continuations, with and without, ROUNDS * 3 pairs.
: >"$dir/off1"
: >"$dir/on1"
for r in $(seq $((ROUNDS * 3))); do
    secs "$BIN/grok-train" --resume "$dir/off.h5" --steps $((STEPS + 1)) --checkpoint-every 0 -q -o "$dir/c0.h5" >>"$dir/off1"
    secs "$BIN/grok-train" --resume "$dir/off.h5" --steps $((STEPS + 1)) --checkpoint-every 1 -q -o "$dir/c1.h5" >>"$dir/on1"
done
off1=$(median <"$dir/off1")
on1=$(median <"$dir/on1")
off=$(median <"$dir/off")
on=$(median <"$dir/on")
size=$(stat -c %s "$dir/on.h5")
awk -v off="$off" -v on="$on" -v n="$N" -v size="$size" -v rounds="$ROUNDS" -v off1="$off1" -v on1="$on1" 'BEGIN {
    per = (on - off) / n
    printf "run of %.1f MB (51 snapshots of the Nanda model), medians of %d alternated rounds\n", size / 1e6, rounds
    printf "without checkpoints  %.2f s\n", off
    printf "with %d checkpoints  %.2f s  (ratio %.3f)\n", n, on, on / off
    printf "one checkpoint (mean, half the final size)  %.3f s\n", per
    printf "a 1-step continuation: without %.3f s, with one checkpoint of the whole run %.3f s (medians of %d)\n", off1, on1, 3 * rounds
    full = on1 - off1
    printf "one checkpoint of the whole run  %.3f s\n", full
    printf "share of a run at the default interval (60 s), bound: %.2f%%\n", 100 * (full > 2 * per ? full : 2 * per) / 60
}'
