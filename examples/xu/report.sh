#!/bin/sh
# report.sh OUT SETTING FROM SLOW_SETTING: REPORT.md for the P1 study from the tables in
# OUT/tables (FROM: the first step the interventions act on; SLOW_SETTING: the slow run's).
set -eu
out=$1 setting=$2 from=$3 slow_setting=$4
. ../lib/table.sh
t=$out/tables
cat <<END
# Low-dimensional and transversely curved dynamics in grokking (Xu, arXiv 2602.16746)

Reproduced with grok (\`make report\` in examples/xu; $setting). Every number below is read
from the tables in \`tables/\` by \`report.sh\`; the commands are in the Makefile.

## The trajectory is low-dimensional

The PC1 share of each attention matrix's trajectory over the snapshots (grok-pca), for add,
which groks (test accuracy $(fmt "$(last "$t/op-add-metrics.tsv" test_acc)") at the end), and for rand, a fixed random
table that cannot generalise (test accuracy $(fmt "$(last "$t/op-rand-metrics.tsv" test_acc)")).

![PC1 shares](figures/pc1.png)

| matrix | PC1 share, add | PC1 share, rand |
| --- | --- | --- |
END
awk -F'\t' '!/^#/ && $1 != "matrix" { print $1 }' "$t/op-add-pca.tsv" | while read -r mat; do
    echo "| $mat | $(fmt "$(row "$t/op-add-pca.tsv" "$mat" pc1)") | $(fmt "$(row "$t/op-rand-pca.tsv" "$mat" pc1)") |"
done
c=$t/op-add-commute.tsv
read -r dmax dstep <<END2
$(max "$c" D_median)
END2
cat <<END

## Curvature across the path

The median commutator defect D of two SGD steps at each snapshot (grok-commute), beside the
test accuracy: it is $(fmt "$(at "$c" D_median 0)") at step 0 and peaks at $(fmt "$dmax") at step $dstep;
test accuracy reaches 0.9 at step $(first "$t/op-add-metrics.tsv" test_acc '>=' 0.9).

![commutator](figures/commute.png)

By phase of training, the share of the defect vector inside the execution subspace (the
run's own PCA basis) against a random subspace of the same size:

![phases](figures/phases.png)

| phase | snapshots | share inside | share random | ratio |
| --- | --- | --- | --- | --- |
END
awk -F'\t' '!/^#/ && $1 != "phase" { print $1 }' "$t/op-add-phases.tsv" | while read -r ph; do
    f=$t/op-add-phases.tsv
    echo "| $ph | $(row "$f" "$ph" snapshots) | $(fmt "$(row "$f" "$ph" share_in)") | $(fmt "$(row "$f" "$ph" share_random)") | $(fmt "$(row "$f" "$ph" ratio)") |"
done
law=$t/lead-law.tsv
ev=$t/sweep-events.tsv
runs=$(awk -F'\t' '!/^#/ && $1 != "run"' "$ev" | grep -c .)
grokked=$(awk -F'\t' '/^#/ { next } $1 == "run" { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["t_grok"] != "nan" { n++ } END { print n + 0 }' "$ev")
cat <<END

## Lead against t_grok across the sweep

Each run of the sweep ($runs runs: rates $(sed -n 's/.*--lr \([^ ]*\).*/\1/p' "$out/sweep.tsv" | sort -u | tr '\n' ' ')) measured
by grok-pca, grok-commute and grok-fit (t_grok: test accuracy 0.9; t_onset: the defect ten times
its baseline; lead = t_grok − t_onset); $grokked of them grokked. The power law lead = a·t_grok^b
fitted by grok-fit over those:

![lead](figures/lead.png)

| fit | value |
| --- | --- |
| points | $(row "$law" lead n) (dropped $(row "$law" lead dropped)) |
| b (exponent) | $(fmt "$(row "$law" lead b)") ± $(fmt "$(row "$law" lead b_se)") |
| a | $(fmt "$(row "$law" lead a)") ± $(fmt "$(row "$law" lead a_se)") |
| R² | $(fmt "$(row "$law" lead r2)") |

## Interventions

Suppression from step $from on (the gradient outside the add run's execution subspace damped
by s), and the control: s = 0.5 with a random basis of the same rank on the same coordinates:

![suppression](figures/suppression.png)

| s | basis | final test accuracy |
| --- | --- | --- |
END
awk -F'\t' '!/^#/ && $1 != "s" { printf "| %s | %s | %.3g |\n", $1, $2, $3 }' "$t/suppression.tsv"
cat <<END

Kicks along the commutator's part outside the subspace every 50 steps, and the same kicks in a
random direction:

![kicks](figures/kicks.png)

| run | test accuracy ≥ 0.9 from step | final test accuracy |
| --- | --- | --- |
| no kicks | $(first "$t/op-add-metrics.tsv" test_acc '>=' 0.9) | $(fmt "$(last "$t/op-add-metrics.tsv" test_acc)") |
| kicks (commutator) | $(first "$t/kick-metrics.tsv" test_acc '>=' 0.9) | $(fmt "$(last "$t/kick-metrics.tsv" test_acc)") |
| kicks (random) | $(first "$t/kick-random-metrics.tsv" test_acc '>=' 0.9) | $(fmt "$(last "$t/kick-random-metrics.tsv" test_acc)") |
END
ev=$t/op-add-events.tsv
sev=$t/slow-events.tsv
a=$(row "$law" lead a) b=$(row "$law" lead b)
slow_grok=$(event "$sev" slow-commute t_grok)
predicted=$(awk -v a="$a" -v b="$b" -v t="$slow_grok" 'BEGIN { if (t == "nan" || a == "nan") print "nan"; else printf "%.3g\n", a * t ^ b }')
erow() {
    echo "| $1 | $(fmt "$(event "$2" "$3" lr)") | $(fmt "$(event "$2" "$3" wd)") | $(reached "$(event "$2" "$3" t_mem)") |" \
        "$(reached "$(event "$2" "$3" t_grok)") | $(reached "$(event "$2" "$3" t_onset)") |" \
        "$(reached "$(event "$2" "$3" lead)") | $(fmt "$(event "$2" "$3" lead_frac)") |"
}
cat <<END

## The slow regime

One run of add in the slow regime ($slow_setting), measured as the add run above (grok-pca,
grok-commute, grok-fit): does the curvature still rise before grokking when the weights move
slowly?

![slow regime](figures/slow.png)

| run | lr | weight decay | t_mem | t_grok | t_onset | lead | lead / t_grok |
| --- | --- | --- | --- | --- | --- | --- | --- |
$(erow "add" "$ev" op-add-commute)
$(erow "add, slow regime" "$sev" slow-commute)

The sweep's power law, extrapolated to the slow run's t_grok, gives a lead of $(reached "$predicted") steps,
against $(reached "$(event "$sev" slow-commute lead)") measured.
END
