#!/bin/sh
# What GrokAlign's regulariser (--jac-reg, one projection) costs in a step of the Nanda preset:
# grok-train's plain and regularised trainers side by side in one process
# (bench/transform-step.c), and, when PyTorch is there (make bench-deps), P4's double backprop
# against a plain PyTorch step of the same model, side by side in one process
# (bench/jacreg_torch.py); ROUNDS times each, the medians of the rounds' medians.
#
# usage: bench/jacreg.sh [BINDIR [TOOLDIR [ROUNDS]]]
set -eu
BIN=${1:-bin}
TOOLS=${2:-build/bench}
ROUNDS=${3:-3}
THREADS=${THREADS:-2}
. "$(dirname "$0")/lib.sh"
scratch jacreg
printf 'who\tplain_ms\tjac_reg_ms\tratio\n'
report() {
    printf '%s\t%s\t%s\t%s\n' "$1" "$(cut -f1 "$2" | median)" "$(cut -f2 "$2" | median)" "$(cut -f3 "$2" | median)"
}
for r in $(seq "$ROUNDS"); do
    "$TOOLS/transform-step" nanda 40 "$THREADS" --jac-reg 1e-3 >>"$dir/grok"
done
report grok-train "$dir/grok"
if /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
    "$BIN/grok-train" --preset nanda --steps 0 --snapshot-every 1 -q -o "$dir/run0.h5"
    for r in $(seq "$ROUNDS"); do
        /usr/bin/python3 "$(dirname "$0")/jacreg_torch.py" "$dir/run0.h5" 20 "$THREADS" 1e-3 >>"$dir/torch"
    done
    report pytorch "$dir/torch"
else
    echo "pytorch	(not installed: make bench-deps)"
fi
