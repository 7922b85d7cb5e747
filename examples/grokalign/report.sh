#!/bin/sh
# report.sh OUT SETTING: REPORT.md for the GrokAlign study from the tables in OUT/tables.
set -eu
out=$1 setting=$2
. ../lib/table.sh
t=$out/tables
a=$t/plain-align.tsv
cat <<END
# GrokAlign: Jacobian alignment and the Jacobian regulariser (Walker et al., arXiv 2506.12284)

Reproduced with grok (\`make report\` in examples/grokalign; $setting). Every number below is
read from the tables in \`tables/\` by \`report.sh\`; the commands are in the Makefile.

## Centroid alignment over training

The centroid of a training input is μ_x = J_xᵀ1; its alignment with the input, cos(μ_x, x),
over all the training points at each snapshot (grok-align), beside the test accuracy.

![alignment](figures/alignment.png)

| snapshot | mean cos(μ_x, x) | min | max | test accuracy |
| --- | --- | --- | --- | --- |
END
n=$(column "$a" step | grep -c .)
for i in 1 $(( (n + 1) / 2 )) "$n"; do
    s=$(column "$a" step | awk -v i="$i" 'NR == i { print $1 }')
    echo "| $s | $(fmt "$(at "$a" cos_mean "$s")") | $(fmt "$(at "$a" cos_min "$s")") | $(fmt "$(at "$a" cos_max "$s")") | $(fmt "$(at "$a" test_acc "$s")") |"
done
cat <<END

## GrokAlign against weight decay

The regulariser adds λ_J · mean ‖J_x‖_F (λ_J = 1e-3, one random projection per point) to the
loss; with frozen embeddings, \`embed\` and \`unembed\` never move.

![test accuracy](figures/grokalign.png)

![Jacobian norm](figures/jacobian.png)

| run | test accuracy ≥ 0.9 from step | final test accuracy | mean ‖J_x‖_F at the end |
| --- | --- | --- | --- |
END
for v in plain jacreg frozen frozen-jacreg grokfast; do
    j=$( [ -e "$t/$v-align.tsv" ] && fmt "$(last "$t/$v-align.tsv" jac_fro_mean)" || echo "not measured")
    echo "| $v | $(reached "$(event "$t/events.tsv" "$v" t_grok)") | $(fmt "$(event "$t/events.tsv" "$v" final_test_acc)") | $j |"
done
gini() { awk -F'\t' -v mat="$2" -v want="$3" '/^#/ { next } $1 == "step" { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["matrix"] == mat { v = $c["gini"]; if (!n++) first = v } END { print (want == "first" ? first : v) }' "$1"; }
cat <<END

## Gini of the Fourier spectra

![gini](figures/gini.png)

| run | W_E first → last | W_U first → last |
| --- | --- | --- |
END
for v in plain jacreg; do
    f=$t/$v-fourier.tsv
    echo "| $v | $(fmt "$(gini "$f" embed.W_E first)") → $(fmt "$(gini "$f" embed.W_E last)") | $(fmt "$(gini "$f" unembed.W_U first)") → $(fmt "$(gini "$f" unembed.W_U last)") |"
done
cat <<END

## A combination: Grokfast under P4's and P1's measures

Grokfast (EMA 0.98, amplification 2) on the same model, measured by the centroid alignment and
by the median commutator defect of two SGD steps (grok-commute, no basis), beside the plain run.

![combined](figures/combined.png)

| run | test accuracy ≥ 0.9 from step | largest median defect (step) | mean cos(μ_x, x) at the end |
| --- | --- | --- | --- |
END
for v in plain grokfast; do
    read -r d ds <<END2
$(max "$t/$v-commute.tsv" D_median)
END2
    echo "| $v | $(reached "$(event "$t/events.tsv" "$v" t_grok)") | $(fmt "$d") ($ds) | $(fmt "$(last "$t/$v-align.tsv" cos_mean)") |"
done
