#!/bin/sh
# report.sh OUT SETTING: REPORT.md for the P3 study from the tables in OUT/tables.
set -eu
out=$1 setting=$2
. ../lib/table.sh
t=$out/tables
head_row() { printf '| run | setting | t_grok | final test accuracy |\n| --- | --- | --- | --- |\n'; }
line() { echo "| $1 | $2 | $(reached "$(event "$t/events.tsv" "$1" t_grok)") | $(fmt "$(event "$t/events.tsv" "$1" final_test_acc)") |"; }
cat <<END
# The embedding layer and grokking (AlQuabeh et al., arXiv 2505.15624)

Reproduced with grok (\`make report\` in examples/alquabeh; $setting). Every number below is read
from the tables in \`tables/\` by \`report.sh\`; the commands are in the Makefile and its sweep
(\`sweep.tsv\`). t_grok is the first evaluation with test accuracy ≥ 0.9 (grok-fit).

## A learned embedding against the raw numbers

![embedding and raw](figures/embed-raw.png)

END
head_row
line embed "learned embedding (the preset)"
line raw "the four raw numbers, no embedding"
cat <<END

## The embedding's learning rate

![rates](figures/rates.png)

END
head_row
line embed "c = 1"
line rate4 "c = 4"
line rate10 "c = 10"
line rate32 "c = 32"
line adaptive "adaptive c, every 100 updates"
cat <<END

## Splits and sampling

![splits](figures/splits.png)

END
head_row
line embed "uniform split (every value equally often)"
line split-random "random split"
line split-skewed "skewed split, Zipf exponent 1.5"
line sampler "random split, frequency-aware draws (γ 1e-3)"
c=$t/curvature.tsv
lam() { awk -F'\t' -v b="$1" -v s="$2" '/^#/ { next } $1 == "step" { for (i = 1; i <= NF; i++) k[$i] = i; next }
    $k["block"] == b && $1 == s { print $k["eigenvalue"]; exit }' "$c"; }
cat <<END

## Curvature per block

The largest eigenvalue of the training loss's Hessian restricted to the embedding and to the
first layer (grok-commute --hessian, Lanczos on exact Hessian-vector products), on the
preset's run:

![curvature](figures/curvature.png)

| step | λ_max, embedding | λ_max, first layer |
| --- | --- | --- |
END
awk -F'\t' '/^#/ || $1 == "step" { next } { print $1 }' "$c" | sort -un | while read -r s; do
    echo "| $s | $(fmt "$(lam embed "$s")") | $(fmt "$(lam mlp.0.W "$s")") |"
done
