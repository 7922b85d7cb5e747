#!/bin/sh
# grok-commute --hessian: the table and /hessian of a small P3 run, the embedding's curvature
# against the first layer's, and the refusals with their exact line and code.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-train --preset alquabeh --p 23 --embed 16 --hidden 64 --batch 64 --steps 400 --snapshot-every 200 \
    -q -o aq.h5
grok-train --preset alquabeh --p 11 --embed 8 --hidden 16 --steps 4 --snapshot-every 2 --snapshot embed -q -o part.h5
grok-train --model mlp --p 11 --embed 8 --hidden 16 --loss stablemax --steps 4 --snapshot-every 2 -q -o sm.h5

run grok-commute --hessian embed --hessian mlp.0.W -k 2 --hutchinson 4 -t aq.h5
is_exit 0
is_stderr_empty
grep -v '^#' "$TMP/stdout" >h.tsv
head -n 1 h.tsv | cmp -s - "$(printf 'step\tblock\tk\teigenvalue\tresidual\tproducts\ttrace\ttrace_se\n' >want; echo want)"
ok $? "the table's columns"
[ "$(sed 1d h.tsv | wc -l)" -eq 12 ]
ok $? "one row per snapshot, block and eigenvalue (3 x 2 x 2)"
awk -F'\t' 'NR > 1 && $3 == 1 { v[$1 " " $2] = $4 } END { exit !(v["400 embed"] < v["400 mlp.0.W"] / 10) }' h.tsv
ok $? "after 400 steps the embedding's curvature is far below the first layer's (P3)"
awk -F'\t' 'NR > 1 { if (!($5 <= 1e-4 * ($4 < 0 ? -$4 : $4) && $6 >= 2 && $6 <= 100 && $4 >= 0 || $3 == 2)) bad = 1 } END { exit bad }' h.tsv
ok $? "each largest eigenvalue converged to the stated residual"
awk -F'\t' 'NR > 1 && $3 == 1 { if (!($7 > $4)) bad = 1 } END { exit bad }' h.tsv
ok $? "each trace estimate exceeds the largest eigenvalue"

run grok-commute --hessian embed --hessian 'mlp.*' aq.h5 -o out.h5
is_exit 0
h5ls out.h5/hessian | awk '{ print $1 }' | sort | tr '\n' ' ' >names
printf %s 'eigenvalues products residuals step trace trace_se ' | cmp -s - names
ok $? "/hessian holds the measures"
h5dump -a /hessian/blocks out.h5 | grep -q '"embed;mlp.\*"'
ok $? "... and names its blocks"

# Refusals.
run grok-commute --hessian 'nothing.*' -t aq.h5
is_exit 1
is_stderr "grok-commute: aq.h5: --hessian 'nothing.*': selects no parameter of the model"
run grok-commute --hessian embed -t part.h5
is_exit 1
grep -c . "$TMP/stderr" | grep -qx 1 && grep -q '^grok-commute: part.h5: ' "$TMP/stderr"
ok $? "a run without snapshots of every parameter: one line ($(cat "$TMP/stderr"))"
run grok-commute --hessian embed -t sm.h5
is_exit 1
is_stderr "grok-commute: sm.h5: --hessian: the run's loss is stablemax, whose second derivative is not available (ce and mse are)"
run grok-commute -k 2 -t aq.h5
is_exit 2
is_stderr "grok-commute: -k: applies only with --hessian (see grok-commute --help)"
run grok-commute --hessian embed -K 3 -t aq.h5
is_exit 2
is_stderr "grok-commute: --hessian: -K belongs to the commutators, not to the Hessian (see grok-commute --help)"
run grok-commute --hessian embed -t phases aq.h5
is_exit 2
is_stderr "grok-commute: -t phases: not a table of --hessian (hessian) (see grok-commute --help)"
run grok-commute --hutchinson 3 -t aq.h5
is_exit 2
is_stderr "grok-commute: --hutchinson: applies only with --hessian (see grok-commute --help)"
run grok-commute --hessian embed --hessian-batch 0 -t aq.h5
is_exit 2
is_stderr "grok-commute: --hessian-batch: bad value '0' (a whole number from 1 to 1073741824) (see grok-commute --help)"
run grok-commute --hessian embed --lanczos-max 0 -t aq.h5
is_exit 2
is_stderr "grok-commute: --lanczos-max: bad value '0' (a whole number from 1 to 100000) (see grok-commute --help)"
run grok-commute --hessian embed --lanczos-tol 0 -t aq.h5
is_exit 2
is_stderr "grok-commute: --lanczos-tol: bad value '0' (a relative residual between 0 and 1) (see grok-commute --help)"

done_testing
