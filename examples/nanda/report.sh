#!/bin/sh
# report.sh OUT SETTING: REPORT.md for the Nanda study from the tables in OUT/tables.
set -eu
out=$1 setting=$2
. ../lib/table.sh
t=$out/tables
pr=$t/progress.tsv
keys=$(last "$pr" key_freqs)
cat <<END
# Progress measures for grokking (Nanda et al., ICLR 2023)

Reproduced with grok (\`make report\` in examples/nanda; $setting). Every number below is read
from the tables in \`tables/\` by \`report.sh\`; the commands are in the Makefile.

## The run

| measure | value |
| --- | --- |
| training accuracy ≥ 0.99 from step (t_mem) | $(row "$t/phases.tsv" memorised step) |
| test accuracy ≥ 0.9 from step (t_grok) | $(reached "$(event "$t/events.tsv" nanda t_grok)") |
| final test accuracy | $(fmt "$(event "$t/events.tsv" nanda final_test_acc)") |
| key frequencies at the end | $keys |

## Progress measures and phases

The restricted loss keeps only the key frequencies' part of the logits; the excluded loss
removes it from them (grok-fourier(1), Progress measures). The phase boundaries are read from
these curves by fixed rules (phases.sh): *memorised*, the first evaluation with training
accuracy ≥ 0.99; *circuits*, the first snapshot after it whose excluded loss is ten times its
value there; *cleanup*, the first after the test loss's peak with half that loss; *clean*, the
first whose sum of squared weights is within 5% of its final value. The losses are those of the
first snapshot at or after the boundary.

![progress measures](figures/progress.png)

| phase boundary | step (snapshot) | training loss | test loss | restricted loss | excluded loss | sum of squared weights |
| --- | --- | --- | --- | --- | --- | --- |
END
for p in memorised circuits cleanup clean; do
    s=$(row "$t/phases.tsv" "$p" step)
    if [ "$s" = never ]; then
        echo "| $p | never | – | – | – | – | – |"
        continue
    fi
    row=$(column "$pr" step | awk -v s="$s" '$1 >= s { print $1; exit }')
    echo "| $p | $s ($row) | $(fmt "$(at "$pr" train_loss "$row")") | $(fmt "$(at "$pr" test_loss "$row")") | $(fmt "$(at "$pr" restricted_loss "$row")") | $(fmt "$(at "$pr" excluded_loss "$row")") | $(fmt "$(at "$pr" sum_sq_weights "$row")") |"
done
cat <<END

![weights](figures/weights.png)

The sum of squared weights goes from $(fmt "$(at "$pr" sum_sq_weights 0)") at step 0 to a
largest $(fmt "$(max "$pr" sum_sq_weights | cut -d' ' -f1)") and $(fmt "$(last "$pr" sum_sq_weights)") at the end.

## Key frequencies

![neurons per key frequency](figures/keys.png)

![embedding spectrum](figures/spectrum.png)

| frequency | neurons (share ≥ 0.85) | logit coefficient at the end |
| --- | --- | --- |
END
last_step=$(column "$t/coefficients.tsv" freq | awk 'END { print $1 }')
awk -F'\t' '!/^#/ && $1 != "freq" { print $1, $2 }' "$t/key-neurons.tsv" | while read -r k n; do
    c=$(awk -F'\t' -v s="$last_step" -v k="$k" '$1 == s && $2 == k { print $3 }' "$t/coefficients.tsv")
    echo "| $k | $n | $(fmt "$c") |"
done
