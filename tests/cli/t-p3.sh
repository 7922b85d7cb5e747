#!/bin/sh
# grok-train's P3 settings: the held-out test set and the skewed split (/data, /config), the
# frequency-aware sampler and the adaptive embedding rate (their metrics, a resumed run equal to
# an uninterrupted one), and the refusals.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
mlp="--preset alquabeh --p 23 --embed 16 --hidden 64 --batch 64 --eval-every 10 -q --threads 1"
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }

for f in "--split random --test-frac 0.2 --frac 0.3" "--split skewed:1.5" "--sampler freq:1e-6" \
         "--embed-lr-auto 5" "--sampler freq:1e-5 --embed-lr-auto 3 --threads 2"; do
    rm -f full.h5 half.h5 resumed.h5
    grok-train $mlp --steps 30 $f -o full.h5 &&
        grok-train $mlp --steps 15 $f -o half.h5 &&
        grok-train --resume half.h5 --steps 30 -o resumed.h5 &&
        data full.h5 >a.txt && data resumed.h5 >b.txt && cmp -s a.txt b.txt
    ok $? "$f: 15 steps and a resume to 30 give the bytes of 30 at once"
done

grok-train $mlp --steps 1 --split random --test-frac 0.2 --frac 0.3 -o held.h5
h5ls held.h5/data | awk '{ print $1, $3 }' | tr -d ',' >sizes
printf 'test {106\ntest_y {106}\ntrain {159\ntrain_counts {2\ntrain_y {159}\n' | cmp -s - sizes
ok $? "--test-frac 0.2 --frac 0.3 of 529 pairs: 106 test and 159 training pairs, and the counts"
h5dump -y -d /data/train_counts held.h5 | sed -n '/DATA {/,/}/p' | tr -c '0-9\n' ' ' | tr ' ' '\n' |
    grep -v '^$' | awk '{ s += $1 } END { print s }' >sum
echo 318 | cmp -s - sum
ok $? "... which add up to 159 pairs, twice (a and b)"
grok-train $mlp --steps 1 --split random --test-frac 0.2 --frac 0.5 -o held2.h5
h5dump -d /data/test held.h5 | sed 1,2d >t1
h5dump -d /data/test held2.h5 | sed 1,2d >t2
cmp -s t1 t2
ok $? "the same data seed holds out the same test pairs whatever --frac"
h5dump -a /config/split -a /config/split_skew "$(grok-train $mlp --steps 1 --split skewed:2 -o sk.h5; echo sk.h5)" |
    grep '(0)' >attrs
printf '   (0): "skewed"\n   (0): 2\n' | cmp -s - attrs
ok $? "/config records the skewed split and its exponent"

run grok-train $mlp --steps 20 --sampler freq:1e-3 --embed-lr-auto 5 -t
is_exit 0
grep -v '^#' "$TMP/stdout" >t.tsv
head -n 1 t.tsv | cut -f8- >header
printf 'sampler_entropy\tembed_lr_mult\n' | cmp -s - header
ok $? "the table has sampler_entropy and embed_lr_mult"
awk -F'\t' 'NR > 2 { if (!($8 > 0 && $8 <= 1 && $9 > 0)) bad = 1 } END { exit bad }' t.tsv
ok $? "the entropy is a share of log(d_vocab) and the rate is set"
grok-train $mlp --steps 200 --eval-every 200 -t --sampler freq:1e-3 | grep -v '^#' | awk -F'\t' 'END { print $8 }' >low
grok-train $mlp --steps 200 --eval-every 200 -t --sampler freq:1 | grep -v '^#' | awk -F'\t' 'END { print $8 }' >high
paste low high | awk '{ exit !($1 < 0.9 && $2 > 0.999) }'
ok $? "a small GAMMA concentrates the draws ($(cat low)), a large one leaves them uniform ($(cat high))"

# Refusals.
run grok-train $mlp --split uniform --test-frac 0.2
is_exit 2
is_stderr "grok-train: --test-frac: not with --split uniform, which takes every pair off its diagonals as its test set (see grok-train --help)"
run grok-train $mlp --split random --frac 0.7 --test-frac 0.4
is_exit 2
is_stderr "grok-train: --frac 0.7 and --test-frac 0.4: together more than all pairs (see grok-train --help)"
run grok-train $mlp --split-skew 2
is_exit 2
is_stderr "grok-train: --split-skew: applies only with --split skewed (see grok-train --help)"
run grok-train $mlp --sampler freq:0
is_exit 2
is_stderr "grok-train: --sampler 'freq:0': GAMMA must be a number above 0 (see grok-train --help)"
run grok-train $mlp --sampler freq:-1
is_exit 2
is_stderr "grok-train: --sampler 'freq:-1': GAMMA must be a number above 0 (see grok-train --help)"
run grok-train $mlp --sampler lottery
is_exit 2
is_stderr "grok-train: --sampler 'lottery': expected uniform or freq:GAMMA (see grok-train --help)"
run grok-train $mlp --batch full --sampler freq:1
is_exit 2
is_stderr "grok-train: --sampler freq:1: needs --batch N (the full batch draws nothing) (see grok-train --help)"
run grok-train --preset nanda --embed-lr-auto 10
is_exit 2
is_stderr "grok-train: --embed-lr-auto: applies to an MLP with a learned embedding (P3's models) (see grok-train --help)"
run grok-train $mlp --embed-lr-auto 10 --lr-mult embed=10
is_exit 2
is_stderr "grok-train: --embed-lr-auto: not with a fixed --lr-mult for the embedding (see grok-train --help)"
run grok-train --preset alquabeh-raw --sampler freq:1
is_exit 2
is_stderr "grok-train: --sampler freq:1: the model has no embedding whose rows' gradients could weigh the tokens (see grok-train --help)"

done_testing
