#!/bin/sh
# grok-train's interventions (P1): what /config and /metrics record, that a resumed run equals an
# uninterrupted one, that --suppress 0 trains the same numbers as none, and the refusals.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
model="--p 23 --frac 0.5 --d-model 32 --heads 2 --d-mlp 64 --batch 64 --clip 1 --eval-every 10 -q --threads 1"

grok-train $model --steps 60 --snapshot-every 10 -o base.h5
grok-pca -q base.h5 -o basis.h5
grok-train $model --layers 2 --steps 40 --snapshot-every 10 -o other.h5
grok-pca -q other.h5 -o other-basis.h5

# data FILE: the run as h5dump prints it, without its name and history.
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }
# numbers FILE: what training computed: the evaluations' standard columns, and /state (the
# parameters, moments, generator) without the interventions' own group.
numbers() {
    grok-snap -t metrics "$1" | grep -v '^#' | cut -f1-7
    h5dump -g /state "$1" | sed 1d | awk '/^   GROUP "transforms" \{/ { skip = 1; depth = 0 }
        skip { o = gsub(/\{/, "{"); c = gsub(/\}/, "}"); depth += o - c; if (depth <= 0 && o + c > 0) skip = 0; next }
        { print }'
}

all="--from 15 --suppress basis.h5:0.5 --kick 20:10 --noise 0.05:20"

# The settings in /config, the metrics in /metrics and on the table.
run grok-train $model --steps 60 $all -o full.h5 -t
is_exit 0
head -n 20 "$TMP/stdout" | grep -v '^#' | head -n 1 >header
printf 'step\ttrain_loss\ttrain_acc\ttest_loss\ttest_acc\tparam_norm\tlr\tsuppress_removed\tgrad_perp\tkicks\tkick_eps\tkick_defect\tnoises\n' >want
cmp -s want header
ok $? "the table has the interventions' columns"
grok-snap -t metrics full.h5 | awk -F'\t' '!/^#/ && $1 == 60 { print $10, $13 }' >counts
echo "5 3" | cmp -s - counts
ok $? "kicks at 15, 25, ..., 55 and noise at 15, 35, 55: counted in /metrics"
h5dump -a /config/suppress -a /config/basis -a /config/from -a /config/kick_every -a /config/suppress_scope full.h5 |
    grep -c '(0): 0.5\|(0): "basis.h5"\|(0): 15\|(0): 10\|(0): "all"' >n
echo 5 | cmp -s - n
ok $? "/config records the basis, S, the scope, --from and the cadence"
grok-snap -t metrics full.h5 | awk -F'\t' '!/^#/ && $1 == 10 { print $8 }' >early
echo nan | cmp -s - early
ok $? "nothing is suppressed before --from (nan in /metrics)"

# Resumed in the middle, the run is the uninterrupted one.
grok-train $model --steps 30 $all -o half.h5
run grok-train --resume half.h5 --steps 60 -o resumed.h5
is_exit 0
data full.h5 >a.txt
data resumed.h5 >b.txt
cmp -s a.txt b.txt
ok $? "30 steps and a resume to 60 give the bytes of 60 at once"
grok-train $model --steps 60 --threads 2 --basis basis.h5 --kick 20:10 --kick-direction random --basis-random covered -o r2.h5
grok-train $model --steps 30 --threads 2 --basis basis.h5 --kick 20:10 --kick-direction random --basis-random covered -o r1.h5
grok-train --resume r1.h5 --steps 60 -o r1b.h5
data r2.h5 >a.txt
data r1b.h5 >b.txt
cmp -s a.txt b.txt
ok $? "... and so on two threads with the random controls"

# --suppress 0 computes the projection and trains the numbers of no suppression.
grok-train $model --steps 60 -o none.h5
grok-train $model --steps 60 --suppress basis.h5:0 -o zero.h5
numbers none.h5 >a.txt
numbers zero.h5 >b.txt
[ -s a.txt ] && cmp -s a.txt b.txt
ok $? "--suppress BASIS:0 trains the same numbers as no suppression"
data none.h5 | grep -c 'suppress' >n
echo 0 | cmp -s - n
ok $? "a run without interventions records none of their settings"

# The refusals: bad values, a basis of another model, no basis, an intervention's setting alone.
run grok-train $model --suppress basis.h5:1.5
is_exit 2
is_stderr "grok-train: --suppress 1.5: must be between 0 and 1 (see grok-train --help)"
run grok-train $model --suppress basis.h5:-0.1
is_exit 2
is_stderr "grok-train: --suppress -0.1: must be between 0 and 1 (see grok-train --help)"
run grok-train $model --basis basis.h5 --kick -5
is_exit 2
is_stderr "grok-train: --kick -5: must be at least 0 (see grok-train --help)"
run grok-train $model --basis basis.h5 --kick 10:x
is_exit 2
is_stderr "grok-train: --kick-every 'x': not an integer (see grok-train --help)"
for bad in "--suppress-scope sideways|--suppress-scope 'sideways': expected one of all covered" \
    "--basis-random some|--basis-random 'some': expected one of none covered all" \
    "--kick-samples 0|--kick-samples 0: must be between 1 and 1024" \
    "--kick-direction up|--kick-direction 'up': expected one of commutator random" \
    "--intervene-seed -3|--intervene-seed -3: must be between 0 and 4294967294" \
    "--noise -1|--noise -1: must be at least 0" \
    "--noise-every x|--noise-every 'x': not an integer"; do
    run grok-train $model --basis basis.h5 --kick 1 ${bad%%|*}
    is_exit 2
    is_stderr "grok-train: ${bad#*|} (see grok-train --help)"
done
run grok-train $model --basis basis.h5 --kick 1 --kick-eta 0
is_exit 2
is_stderr "grok-train: --kick-eta 0: must be above 0 and at most 1 (see grok-train --help)"
run grok-train $model --suppress :0.5
is_exit 2
is_stderr "grok-train: --suppress ':0.5': expected [BASIS:]S (see grok-train --help)"
run grok-train $model --kick 10
is_exit 2
is_stderr "grok-train: --kick: the interventions need a basis (--basis RUN, or --suppress RUN:S) (see grok-train --help)"
run grok-train $model --basis basis.h5 --noise 0.1 --freeze embed
is_exit 2
is_stderr "grok-train: --noise: cannot be combined with --freeze (it would move the frozen parameters) (see grok-train --help)"
run grok-train $model --from 100
is_exit 2
is_stderr "grok-train: --from: applies only with --suppress, --kick or --noise (see grok-train --help)"
run grok-train $model --kick-samples 5
is_exit 2
is_stderr "grok-train: --kick-samples: applies only with --suppress, --kick or --noise (see grok-train --help)"
run grok-train $model --steps 5 --suppress other-basis.h5:1 -o x.h5
is_exit 1
is_stderr "grok-train: other-basis.h5: /pca/basis has 18455 rows, the model has 10039 parameters (a basis of another model?)"
run grok-train $model --steps 5 --suppress base.h5:1 -o x.h5
is_exit 1
is_stderr "grok-train: base.h5: no /pca/basis (run grok-pca on it first)"
run grok-train $model --steps 5 --suppress nothere.h5:1 -o x.h5
is_exit 1
is_stderr "grok-train: nothere.h5: No such file or directory"
[ ! -e x.h5 ]
ok $? "no output is left by a refusal"
if has_h5py; then
    cp basis.h5 skew.h5
    /usr/bin/python3 -c 'import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f["/pca/basis"][0, 0] += 0.5' skew.h5
    run grok-train $model --steps 5 --suppress skew.h5:1 -o x.h5
    is_exit 1
    grep -q '^grok-train: skew.h5: /pca/basis is not orthonormal (|B^T B - I| reaches [0-9.e-]*, above 1e-06)$' "$TMP/stderr"
    ok $? "a basis that is not orthonormal is refused: $(cat "$TMP/stderr")"
    cp basis.h5 moved.h5
    /usr/bin/python3 -c 'import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f["/pca/basis"].attrs["offsets"] = "0,1"' moved.h5
    run grok-train $model --steps 5 --suppress moved.h5:1 -o x.h5
    is_exit 1
    is_stderr "grok-train: moved.h5: /pca/basis is over another model's parameters (its offsets differ from this model's)"
else
    ok 0 "# SKIP python3-h5py is not installed"
fi
# A resume whose basis has changed since is refused.
cp basis.h5 keep.h5
grok-train $model --steps 20 --from 5 --suppress keep.h5:1 -o k.h5
grok-train $model --steps 20 --snapshot-every 10 --seed 3 -o seed3.h5
grok-pca -q seed3.h5 -o keep.h5
run grok-train --resume k.h5 --steps 30 -o k2.h5
is_exit 1
grep -q "^grok-train: k.h5: keep.h5's /pca/basis is not the basis the run was trained with" "$TMP/stderr"
ok $? "a resume with another basis under the same name is refused: $(cat "$TMP/stderr")"

done_testing
