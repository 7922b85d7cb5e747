#!/bin/sh
# grok-fourier --progress: Nanda et al.'s progress measures of a run. The grid's train and test
# losses agree with the run's own evaluations; the tables have their shapes; the group holds its
# datasets; the key frequencies follow --keys-from; the refusals, with the exact line and code.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-train --preset nanda --p 23 --frac 0.5 --d-model 32 --heads 2 --d-mlp 64 --lr 3e-3 --steps 600 \
    --snapshot-every 200 --eval-every 200 -q -o small.h5
grok-train --model mlp --p 11 --hidden 16 --steps 4 --snapshot-every 2 -q -o mlp.h5
grok-train --p 8 --d-model 8 --heads 2 --d-mlp 16 --steps 4 --snapshot-every 2 -q -o even.h5

run grok-fourier --progress -t small.h5
is_exit 0
is_stderr_empty
grep -v '^#' "$TMP/stdout" >prog.tsv
head -n 1 prog.tsv >header
printf 'step\ttrain_loss\ttest_loss\trestricted_loss\trestricted_loss_all\texcluded_loss\tn_keys\tsum_sq_weights\tkey_freqs\n' |
    cmp -s - header
ok $? "the progress table's columns"
[ "$(sed 1d prog.tsv | wc -l)" -eq 4 ]
ok $? "... one row per snapshot"
grok-snap -t metrics small.h5 | grep -v '^#' | sed 1d | cut -f1,2,4 >evals.tsv
sed 1d prog.tsv | cut -f1-3 | join -t "$(printf '\t')" - evals.tsv |
    awk -F'\t' 'function rel(a, b) { d = a - b; if (d < 0) d = -d; return d / (b < 0 ? -b : b) }
        { n++; if (rel($2, $4) > 1e-5 || rel($3, $5) > 1e-5) bad++ } END { exit !(n == 4 && !bad) }'
ok $? "the grid's train and test losses are the run's own evaluations (to 1e-5)"
last=$(tail -n 1 prog.tsv | cut -f9)
sed 1d prog.tsv | cut -f9 | sort -u >keys
echo "$last" | cmp -s - keys
ok $? "by default every snapshot uses the last one's key frequencies ($last)"
grok-fourier --progress -t --keys-from each small.h5 | grep -v '^#' | sed 1d | cut -f1,9 >each
grok-fourier --progress -t neurons small.h5 | grep -v '^#' | sed 1d |
    awk -F'\t' '$4 >= 0.85 { n[$1 " " $3]++ } END { for (k in n) print k }' | sort -n >chosen
awk -F'\t' '{ n = split($2, k, ","); for (i = 1; i <= n; i++) if (k[i] != "-") print $1, k[i] }' each | sort -n >want
cmp -s chosen want
ok $? "--keys-from each: each snapshot's keys are the frequencies its neurons choose with share 0.85"

grok-train --p 13 --d-model 16 --heads 2 --d-mlp 24 --layers 2 --norm pre --act gelu --steps 40 \
    --snapshot-every 20 --eval-every 20 -q -o deep.h5
grok-snap -t metrics deep.h5 | grep -v '^#' | sed 1d | cut -f1,2,4 >deep-evals.tsv
grok-fourier --progress -t deep.h5 | grep -v '^#' | sed 1d | cut -f1-3 | join -t "$(printf '\t')" - deep-evals.tsv |
    awk -F'\t' 'function rel(a, b) { d = a - b; if (d < 0) d = -d; return d / (b < 0 ? -b : b) }
        { n++; if (rel($2, $4) > 1e-5 || rel($3, $5) > 1e-5) bad++ } END { exit !(n == 3 && !bad) }'
ok $? "two layers, LayerNorm, GELU: the grid's losses are the run's own evaluations"

run grok-fourier --progress -t neurons small.h5
[ "$(grep -v '^#' "$TMP/stdout" | sed 1d | wc -l)" -eq $((4 * 64)) ]
ok $? "the neuron table: one row per snapshot and neuron"
run grok-fourier --progress -t coefficients small.h5
[ "$(grep -v '^#' "$TMP/stdout" | sed 1d | wc -l)" -eq $((4 * 11)) ]
ok $? "the coefficient table: one row per snapshot and frequency"
run grok-fourier -t weights small.h5
grep -v '^#' "$TMP/stdout" | sed 1d | awk -F'\t' '$1 == 600 { s += $3 } END { printf "%.6g\n", s }' >wsum
awk -F'\t' '$1 == 600 { printf "%.6g\n", $8 }' prog.tsv | cmp -s - wsum
ok $? "-t weights alone means --progress; its sums add up to sum_sq_weights"

run grok-fourier --progress small.h5 -o out.h5
is_exit 0
h5ls out.h5/progress | awk '{ print $1 }' | sort | tr '\n' ' ' >names
printf %s 'coefficients excluded_each excluded_loss freq_neurons key_freqs n_keys neuron_freq neuron_share restricted_loss restricted_loss_all step sum_sq sum_sq_weights test_loss train_loss ' |
    cmp -s - names
ok $? "/progress holds the measures"
h5ls out.h5/progress/neuron_freq | grep -q '{4, 64}'
ok $? "... neuron_freq is (snapshots, d_mlp)"

# Refusals.
run grok-fourier --progress -t mlp.h5
is_exit 1
is_stderr "grok-fourier: mlp.h5: the model is an mlp: the progress measures read a transformer's MLP neurons"
run grok-fourier --progress -t even.h5
is_exit 1
is_stderr "grok-fourier: even.h5: p 8 is even: the progress measures' Fourier basis needs an odd p"
run grok-fourier --keys-from each -t small.h5
is_exit 2
is_stderr "grok-fourier: --keys-from: applies only with --progress (see grok-fourier --help)"
run grok-fourier --progress --keys 3 -t small.h5
is_exit 2
is_stderr "grok-fourier: --progress: --keys belongs to the spectrum, not to the progress measures (see grok-fourier --help)"
run grok-fourier --progress -t summary small.h5
is_exit 2
is_stderr "grok-fourier: -t summary: not a table of --progress (progress, neurons, coefficients, weights) (see grok-fourier --help)"
run grok-fourier --progress --neuron-share 1.5 -t small.h5
is_exit 2
is_stderr "grok-fourier: --neuron-share: bad value '1.5' (a share from 0 to 1) (see grok-fourier --help)"
run grok-fourier --progress --keys-from soon -t small.h5
is_exit 2
is_stderr "grok-fourier: --keys-from 'soon': expected last, each or a step (see grok-fourier --help)"
run grok-fourier --progress --keys-from 600 -t small.h5
is_exit 0
tail -n 1 "$TMP/stdout" | cut -f9 >k600
echo "$last" | cmp -s - k600
ok $? "--keys-from 600: the last snapshot's keys, as by default"
run grok-fourier --progress --key-neurons 0 -t small.h5
is_exit 2

done_testing
