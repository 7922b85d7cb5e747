#!/bin/sh
# The cost of grok-train's gradient filters in a step, side by side in one process
# (bench/transform-step.c): for the Xu and Nanda presets, a plain trainer against one with
# --grokfast ema:0.98:2, --grokfast ma:100:5 or --ortho-grad, ROUNDS times each; the median of
# the rounds' ratios of median step times.
#
# usage: bench/filters.sh [TOOLDIR [ROUNDS]]
set -eu
TOOLS=${1:-build/bench}
ROUNDS=${2:-3}
THREADS=${THREADS:-1}
. "$(dirname "$0")/lib.sh"
printf 'preset\tfilter\tplain_ms\tfiltered_ms\tratio\n'
for preset in xu nanda; do
    steps=200
    [ "$preset" = nanda ] && steps=60
    for f in "--grokfast ema:0.98:2" "--grokfast ma:100:5" "--ortho-grad rescale"; do
        out=$(for r in $(seq "$ROUNDS"); do "$TOOLS/transform-step" "$preset" "$steps" "$THREADS" $f; done)
        printf '%s\t%s\t%s\t%s\t%s\n' "$preset" "$f" "$(echo "$out" | cut -f1 | median)" \
            "$(echo "$out" | cut -f2 | median)" "$(echo "$out" | cut -f3 | median)"
    done
done
