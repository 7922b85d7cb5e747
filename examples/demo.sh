#!/bin/sh
# make demo: train a small transformer on a+b mod 31 until it groks (about a minute on two
# cores), say when it memorised and when it generalised, and leave the run (the one README.md's
# tour analyses) and a plot.
set -eu
bin=$1 dir=$2
PATH="$bin:$PATH"
mkdir -p "$dir"
cd "$dir"

echo '$ grok-train --p 31 --frac 0.5 --d-model 64 --d-mlp 128 --lr 3e-3 --wd 1 --warmup 0 \'
echo '      --steps 8000 --stop-at 0.99 -t -o run.h5 > metrics.tsv'
grok-train --p 31 --frac 0.5 --d-model 64 --d-mlp 128 --lr 3e-3 --wd 1 --warmup 0 \
    --steps 8000 --stop-at 0.99 -t -o run.h5 >metrics.tsv
echo
echo '$ awk ... metrics.tsv     # the first evaluations with train / test accuracy >= 0.99'
awk -F'\t' '
    /^#/ { next }
    $1 == "step" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    mem == "" && $col["train_acc"] >= 0.99 { mem = $1 }
    gen == "" && $col["test_acc"] >= 0.99 { gen = $1 }
    { last = $1; acc = $col["test_acc"] }
    END {
        printf "memorised at step %s; generalised at step %s", mem, gen == "" ? "(not yet)" : gen
        printf " (test accuracy %.3f at step %s)\n", acc, last
    }' metrics.tsv
echo
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "set terminal png size 800,500; set output 'accuracy.png';
        set datafile separator tab; set key bottom right;
        set xlabel 'step'; set ylabel 'accuracy'; set yrange [0:1.02];
        plot 'metrics.tsv' using 'step':'train_acc' with lines lw 2 title 'train accuracy',
             '' using 'step':'test_acc' with lines lw 2 title 'test accuracy'"
    echo "left in $dir: run.h5 (the run), metrics.tsv, accuracy.png (train and test accuracy)"
else
    echo "left in $dir: run.h5 (the run), metrics.tsv (no gnuplot: make deps installs it for the plot)"
fi
echo
# What the run holds, counted from its listing: the rows of /metrics and /snapshots.
rows() { grok-snap -l run.h5 | awk -F'\t' -v p="$1" '$2 == p {print $4}'; }
echo "run.h5 holds $(rows /metrics/step) evaluations and $(rows /snapshots/step) snapshots of every parameter"
echo "(grok-snap -l run.h5 lists them). It is the run README.md's tour starts from:"
echo "    export PATH=\"$bin:\$PATH\"; cp \"$dir/run.h5\" run.h5"
