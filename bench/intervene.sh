#!/bin/sh
# The cost of P1's interventions in grok-train's step on the Xu preset, side by side.
#
# The suppression (--suppress BASIS:0.5, a projection on every step) is timed inside one process
# by transform-step (bench/transform-step.c): a plain trainer and a suppressing one stepped in
# alternating blocks, each step timed, ROUNDS times; the median of the rounds' ratios is the
# suppression's cost. The kicks (--kick 100:50: K = 5 commutator samples in double, 20 gradients
# a kick, every 50 updates) are timed as whole grok-train runs of STEPS updates, with and
# without, alternated ROUNDS times, medians compared; evaluations only at the first and last
# step, so the time is the steps'.
#
# usage: bench/intervene.sh [BINDIR [ROUNDS [TOOLDIR]]]   (TOOLDIR holds transform-step)
#
# The basis is grok-pca's of a short Xu run (16 columns, 2 per attention matrix of 2 layers),
# the shape P1's suppression uses; its cost does not depend on what the run learnt.
set -eu
BIN=${1:-bin}
ROUNDS=${2:-5}
STEPS=${STEPS:-300}
THREADS=${THREADS:-1}
TOOLS=${3:-build/bench}
flags="--preset xu --steps $STEPS --eval-every $STEPS --snapshot-every 0 --checkpoint-every 0 --threads $THREADS -q"

. "$(dirname "$0")/lib.sh"
scratch ivbench

"$BIN/grok-train" --preset xu --steps 200 --snapshot-every 20 --threads "$THREADS" -q -o "$dir/base.h5"
"$BIN/grok-pca" -q "$dir/base.h5" -o "$dir/basis.h5"
: >"$dir/ratio"
for r in $(seq "$ROUNDS"); do
    "$TOOLS/transform-step" xu 300 "$THREADS" --suppress "$dir/basis.h5:0.5" >>"$dir/ratio"
    echo "round $r: step ms plain, suppressed, ratio: $(tail -1 "$dir/ratio")" >&2
done
: >"$dir/off"
: >"$dir/kick"
for r in $(seq "$ROUNDS"); do
    secs "$BIN/grok-train" $flags -o "$dir/off.h5" >>"$dir/off"
    secs "$BIN/grok-train" $flags --basis "$dir/basis.h5" --kick 100:50 -o "$dir/kick.h5" >>"$dir/kick"
    echo "round $r: none $(tail -1 "$dir/off") s, kicks $(tail -1 "$dir/kick") s" >&2
done
plain=$(cut -f1 "$dir/ratio" | median)
supp=$(cut -f2 "$dir/ratio" | median)
ratio=$(cut -f3 "$dir/ratio" | median)
off=$(median <"$dir/off")
kick=$(median <"$dir/kick")
awk -v off="$off" -v kick="$kick" -v plain="$plain" -v supp="$supp" -v ratio="$ratio" -v steps="$STEPS" \
    -v rounds="$ROUNDS" -v th="$THREADS" 'BEGIN {
    printf "xu preset on %d thread(s), medians of %d alternated rounds\n", th, rounds
    printf "step without / with the suppression  %.2f ms / %.2f ms  (ratio %.3f)\n", plain, supp, ratio
    printf "%d steps without / with kicks every 50  %.2f s / %.2f s  (ratio %.3f)\n", steps, off, kick, kick / off
}'
