#!/bin/sh
# grok-fourier --progress against Nanda et al.'s code's computation in PyTorch
# (bench/progress_torch.py) on the same snapshots of the Nanda preset: seconds per snapshot, one
# thread and all cores, ROUNDS times each, medians; and the last snapshot's losses side by side.
#
# usage: bench/progress.sh [BINDIR [ROUNDS]]
set -eu
BIN=${1:-bin}
ROUNDS=${2:-3}
. "$(dirname "$0")/lib.sh"
scratch progress
"$BIN/grok-train" --preset nanda --steps 400 --snapshot-every 100 -q -o "$dir/run.h5"
T=5
printf 'who\tthreads\ts_per_snapshot\n'
for threads in 1 0; do
    for r in $(seq "$ROUNDS"); do
        secs "$BIN/grok-fourier" --progress --keys-from each --threads "$threads" -t "$dir/run.h5" \
            -o "$dir/p.tsv" | awk -v T=$T '{ print $1 / T }'
    done | median | awk -v t=$threads '{ printf "grok-fourier\t%s\t%.3f\n", t ? t : "all", $1 }'
    if /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
        n=$threads
        [ "$n" = 0 ] && n=$(nproc)
        for r in $(seq "$ROUNDS"); do
            /usr/bin/python3 "$(dirname "$0")/progress_torch.py" "$dir/run.h5" "$n" | cut -f1
        done | median | awk -v t=$threads '{ printf "pytorch\t%s\t%.3f\n", t ? t : "all", $1 }'
    fi
done
echo "# the last snapshot: train, test, restricted, excluded loss"
tail -n 1 "$dir/p.tsv" | cut -f2,3,4,6 | sed 's/^/grok-fourier\t/'
if /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
    /usr/bin/python3 "$(dirname "$0")/progress_torch.py" "$dir/run.h5" 1 | cut -f2-5 | sed 's/^/pytorch\t/'
fi
