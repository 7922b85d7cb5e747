#!/bin/sh
# The cost of P1's interventions in grok-train's step on the Xu preset, side by side: the same
# STEPS updates without an intervention, with the gradient suppression (--suppress BASIS:0.5,
# the projection on every step), and with kicks every 50 updates (--kick 100:50: K = 5
# commutator samples in double, 20 gradients a kick), alternated ROUNDS times, medians compared.
# Evaluations are at the first and last step only, so the time is the steps'.
#
# usage: bench/intervene.sh [BINDIR [ROUNDS]]
#
# The basis is grok-pca's of a short Xu run (16 columns, 2 per attention matrix of 2 layers),
# the shape P1's suppression uses; its cost does not depend on what the run learnt.
set -eu
BIN=${1:-bin}
ROUNDS=${2:-5}
STEPS=${STEPS:-300}
THREADS=${THREADS:-1}
dir=$(mktemp -d "${TMPDIR:-/tmp}/grok-ivbench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
flags="--preset xu --steps $STEPS --eval-every $STEPS --snapshot-every 0 --checkpoint-every 0 --threads $THREADS -q"

secs() { # secs CMD...: wall seconds of CMD
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

"$BIN/grok-train" --preset xu --steps 200 --snapshot-every 20 --threads "$THREADS" -q -o "$dir/base.h5"
"$BIN/grok-pca" -q "$dir/base.h5" -o "$dir/basis.h5"
: >"$dir/off"
: >"$dir/sup"
: >"$dir/kick"
for r in $(seq "$ROUNDS"); do
    secs "$BIN/grok-train" $flags -o "$dir/off.h5" >>"$dir/off"
    secs "$BIN/grok-train" $flags --suppress "$dir/basis.h5:0.5" -o "$dir/sup.h5" >>"$dir/sup"
    secs "$BIN/grok-train" $flags --basis "$dir/basis.h5" --kick 100:50 -o "$dir/kick.h5" >>"$dir/kick"
    echo "round $r: none $(tail -1 "$dir/off") s, suppression $(tail -1 "$dir/sup") s, kicks $(tail -1 "$dir/kick") s" >&2
done
off=$(median <"$dir/off")
sup=$(median <"$dir/sup")
kick=$(median <"$dir/kick")
awk -v off="$off" -v sup="$sup" -v kick="$kick" -v steps="$STEPS" -v rounds="$ROUNDS" -v th="$THREADS" 'BEGIN {
    printf "xu preset, %d steps on %d thread(s), medians of %d alternated rounds\n", steps, th, rounds
    printf "no intervention          %.2f s\n", off
    printf "suppression every step   %.2f s  (ratio %.3f)\n", sup, sup / off
    printf "kicks every 50 steps     %.2f s  (ratio %.3f)\n", kick, kick / off
}'
