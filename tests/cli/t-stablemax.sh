#!/bin/sh
# grok-train --loss stablemax and --metrics collapse (Prieto et al. 2025): StableMax trains,
# is recorded and resumes exactly; the softmax-collapse fractions are fractions, appear when a
# cross-entropy run memorises at a high rate, and are absent (same bytes) without the flag.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1

# col TSV COLUMN ROW: a column's value in a metrics table (ROW: first or last data row).
col() { awk -F'\t' -v c="$2" -v r="$3" '
    /^#/ {next} !h {for (i = 1; i <= NF; i++) if ($i == c) k = i; h = 1; next}
    {v = $k; if (!n++) f = v} END {print r == "first" ? f : v}' "$1"; }

# ---- StableMax trains: the loss falls, the training accuracy rises ----
SM="--model mlp --p 23 --frac 0.5 --embed 16 --hidden 64 --lr 1e-2 --wd 0 --warmup 0 --eval-every 50 --snapshot-every 100 --threads 1 -q"
run grok-train $SM --loss stablemax --steps 400 -o sm.h5
is_exit 0
is_stderr_empty
grok-snap -t metrics sm.h5 >sm.tsv
l0=$(col sm.tsv train_loss first) l1=$(col sm.tsv train_loss last)
a0=$(col sm.tsv train_acc first) a1=$(col sm.tsv train_acc last)
awk -v l0="$l0" -v l1="$l1" -v a0="$a0" -v a1="$a1" 'BEGIN {exit !(l1 < l0 / 10 && a0 < 0.2 && a1 >= 0.99)}'
ok $? "stablemax: train loss $l0 -> $l1, train accuracy $a0 -> $a1"
[ "$(h5dump -a /config/loss sm.h5 | grep -o '(0): .*')" = '(0): "stablemax"' ]
ok $? "/config@loss is \"stablemax\""
# its loss is not the cross-entropy's: the same run with ce has another first loss
grok-train $SM --loss ce --steps 0 -o ce0.h5
[ "$(grok-snap -t metrics ce0.h5 | col /dev/stdin train_loss first)" != "$l0" ]
ok $? "the stablemax loss differs from the cross-entropy of the same parameters"

# ---- resume: 170 steps, then on to 400, equals 400 at once ----
grok-train $SM --loss stablemax --steps 170 -o half.h5
run grok-train --resume half.h5 --steps 400 --threads 1 -q -o resumed.h5
is_exit 0
same_groups sm.h5 resumed.h5 config data metrics snapshots state
ok $? "stablemax: a resumed run equals the uninterrupted one"
# and with a transformer, minibatches and two threads
TF="--p 11 --frac 0.5 --d-model 16 --heads 2 --d-mlp 32 --batch 16 --lr 3e-3 --eval-every 20 --snapshot-every 0 --threads 2 -q --loss stablemax --metrics collapse"
grok-train $TF --steps 90 -o tf.h5 && grok-train $TF --steps 45 -o tf-half.h5 &&
    grok-train --resume tf-half.h5 --steps 90 -q -o tf-resumed.h5
same_groups tf.h5 tf-resumed.h5 config metrics state
ok $? "stablemax transformer with --metrics collapse, 2 threads: resumed equals uninterrupted"

# ---- bad values ----
run grok-train --loss foo
is_exit 2
is_stderr "grok-train: --loss 'foo': expected one of ce mse stablemax (see grok-train --help)"
run grok-train --metrics foo
is_exit 2
is_stderr "grok-train: --metrics 'foo': expected one of none collapse (see grok-train --help)"
run grok-train --resume sm.h5 --metrics collapse -o x.h5
is_exit 2
is_stderr "grok-train: --metrics cannot be combined with --resume (the run's /config fixes it) (see grok-train --help)"

# ---- the collapse fractions ----
# cross-entropy, no weight decay, a high rate: the training set is memorised until every
# float32 softmax rounds to 1 (within 1000 steps, a fraction of a second)
HOT="--model mlp --p 23 --frac 0.5 --embed 16 --hidden 64 --lr 3e-2 --wd 0 --warmup 0 --eval-every 100 --threads 1 -q"
run grok-train $HOT --steps 1000 --metrics collapse -o hot.h5 -t
is_exit 0
head -n 20 "$TMP/stdout" | grep -v '^#' | head -n 1 >header
printf 'step\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc\tparam_norm\tlr\tsoftmax_collapse\tzero_loss\n' >want
cmp -s want header
ok $? "the table has the two collapse columns"
grok-snap -t metrics hot.h5 >hot.tsv
awk -F'\t' '/^#/ || $1 == "step" {next} !($8 >= 0 && $8 <= 1 && $9 >= 0 && $9 <= 1) {bad = 1} END {exit bad}' hot.tsv
ok $? "softmax_collapse and zero_loss lie in [0, 1] at every evaluation"
c0=$(col hot.tsv softmax_collapse first) c1=$(col hot.tsv softmax_collapse last) z1=$(col hot.tsv zero_loss last)
awk -v c0="$c0" -v c1="$c1" -v z1="$z1" 'BEGIN {exit !(c0 == 0 && c1 > 0.5 && z1 > 0.5)}'
ok $? "ce at lr 3e-2 without decay collapses: softmax_collapse $c0 -> $c1, zero_loss $z1"
# StableMax's float32 loss stays above 0 where the softmax of the same logits has collapsed
run grok-train $HOT --steps 1000 --metrics collapse --loss stablemax -o hot-sm.h5
grok-snap -t metrics hot-sm.h5 >hot-sm.tsv
c1=$(col hot-sm.tsv softmax_collapse last) z1=$(col hot-sm.tsv zero_loss last)
awk -v c1="$c1" -v z1="$z1" 'BEGIN {exit !(c1 > 0.5 && z1 == 0)}'
ok $? "stablemax: softmax_collapse $c1 but no zero float32 loss ($z1)"
[ "$(h5dump -a /config/metrics hot.h5 | grep -o '(0): .*')" = '(0): "collapse"' ]
ok $? "/config@metrics is \"collapse\""
# resumed, the columns go on
grok-train $HOT --steps 500 --metrics collapse -o hot-half.h5 &&
    grok-train --resume hot-half.h5 --steps 1000 --threads 1 -q -o hot-resumed.h5
same_groups hot.h5 hot-resumed.h5 config metrics state
ok $? "--metrics collapse: a resumed run equals the uninterrupted one"

# ---- without the flag: no column, no attribute, the run of --metrics none ----
grok-train $HOT --steps 300 -o plain.h5
h5dump -A plain.h5 | grep -q 'ATTRIBUTE "metrics"\|softmax_collapse\|zero_loss'
ok $(( ! $? )) "without --metrics, neither /config@metrics nor a collapse column"
grok-train $HOT --steps 300 --metrics none -o none.h5
same_groups plain.h5 none.h5 config data metrics state
ok $? "--metrics none writes the run of a run without the flag"
grok-train $HOT --steps 300 --metrics collapse -o with.h5
for c in train_loss train_acc test_loss test_acc param_norm; do
    h5dump -d /metrics/$c plain.h5 | tail -n +2 >a && h5dump -d /metrics/$c with.h5 | tail -n +2 >b &&
        cmp -s a b || break
done
ok $? "--metrics collapse changes nothing else in /metrics"

done_testing
