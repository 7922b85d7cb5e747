#!/bin/sh
# grok-align: what a user sees (stdout, the exact stderr line, the exit code), good and bad.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture --foreign foreign.h5
grok-fixture run.h5
small="--preset xu --p 11 --d-model 16 --heads 2 --d-mlp 32 --batch 64 --eval-every 20 -q"
grok-train $small --steps 100 --snapshot-every 20 -o small.h5
grok-train $small --steps 40 --snapshot-every 20 --snapshot 'blocks.*' -o partial.h5
grok-train $small --steps 40 --snapshot-every 0 -o nosnap.h5
grok-train --model mlp --p 7 --embed onehot --hidden 8 --steps 20 --eval-every 10 --snapshot-every 10 -q -o mlp.h5

# ---- the table ----
run grok-align -t small.h5
is_exit 0
is_stderr_empty
cp "$TMP/stdout" exact.tsv
sed -n '1,4p' exact.tsv >"$TMP/stdout"
is_stdout "# run: small.h5
# points: all 61 training pairs
# jacobian: |J_x|_F exact, 11 backward passes per point
step	n_points	cos_min	cos_mean	cos_max	dot_mean	mu_norm_mean	jac_fro_mean	jac_pc1_mean	train_acc	test_acc" \
    "-t: the settings as metadata, then the header"
run sh -c "grep -v '^#' exact.tsv | cut -f1,2,9 | tr '\t' ' '"
is_stdout "step n_points jac_pc1_mean
0 61 nan
20 61 nan
40 61 nan
60 61 nan
80 61 nan
100 61 nan" "one row per snapshot, every training pair; the PC1 share only with --exact"
run awk -F'\t' '!/^#/ && $1 != "step" && !(-1 <= $3 && $3 <= $4 && $4 <= $5 && $5 <= 1 && $7 > 0 && $8 > 0) {print "bad row", $0}' exact.tsv
is_stdout_empty
grok-snap -t metrics small.h5 | grep -v '^#' | cut -f1,3,5 >metrics.txt
run sh -c "grep -v '^#' exact.tsv | cut -f1,10,11 | grep -v '^step' | while read -r s a b; do grep -q \"^\$s	\$a	\$b\$\" metrics.txt || echo \"step \$s: \$a \$b not in /metrics\"; done"
is_stdout_empty

# ---- the Jacobian three ways ----
grok-align --exact -t small.h5 >full.tsv
grok-align --projections 11 -t small.h5 >proj11.tsv
grok-align --projections 2 -t small.h5 >proj2.tsv
run sh -c "grep -v '^#' full.tsv | cut -f1-7 >a; grep -v '^#' exact.tsv | cut -f1-7 >b; cmp a b && echo same"
is_stdout "same" "--exact: the same centroids and cosines"
run sh -c "paste exact.tsv full.tsv proj11.tsv | grep -v '^#' | awk -F'\t' '\$1 != \"step\" {r = (\$19 - \$8) / \$8; q = (\$30 - \$8) / \$8; if (r < 0) r = -r; if (q < 0) q = -q; if (r > 1e-12 || q > 1e-12) print \"differ\", \$1, r, q}'"
is_stdout_empty
run awk -F'\t' '!/^#/ && $1 != "step" && !($9 >= 1/11 && $9 <= 1) {print "bad share", $0}' full.tsv
is_stdout_empty
run sh -c "head -3 full.tsv | tail -1; head -3 proj2.tsv | tail -1"
is_stdout "# jacobian: the whole J_x (11 x 32) per point (--exact)
# jacobian: |J_x|_F from 2 random projections per point, seed 0" "the estimate's method in the metadata"
run sh -c "paste exact.tsv proj2.tsv | grep -v '^#' | awk -F'\t' '\$1 != \"step\" {r = (\$19 - \$8) / \$8; if (r < 0) r = -r; if (!(r > 0 && r < 0.2)) print \"far\", \$1, r}'"
is_stdout_empty
run sh -c "grok-align --projections 2 -s 40 -t small.h5 | grep '^40	'; grep '^40	' proj2.tsv"
[ "$(sed -n 1p "$TMP/stdout")" = "$(sed -n 2p "$TMP/stdout")" ] && [ -n "$(sed -n 1p "$TMP/stdout")" ]
ok $? "a snapshot's projections depend on the seed and its step only, not on -s"

# ---- sampling ----
grok-align --sample 10 -t small.h5 >s0.tsv
grok-align --sample 10 --seed 0 -t small.h5 >s0b.tsv
grok-align --sample 10 --seed 7 -t small.h5 >s7.tsv
cmp -s s0.tsv s0b.tsv
ok $? "--sample: the same seed, the same points and numbers"
! cmp -s s0.tsv s7.tsv
ok $? "another --seed, other points"
run sh -c "sed -n 2p s7.tsv; grep -v '^#' s7.tsv | cut -f2 | sort -u"
is_stdout "# points: 10 of the 61 training pairs, drawn with seed 7
10
n_points"
run sh -c "grok-align --sample 10 --seed 7 small.h5 | grok-snap -t align | grep -v '^#' | cut -f2 | sed -n 2p"
is_stdout "10"
grok-align --sample 61 -t small.h5 >all.tsv
run sh -c "grep -v '^#' all.tsv | cut -f1-11 >a; grep -v '^#' exact.tsv | cut -f1-11 >b; cmp a b && echo same"
is_stdout "same" "--sample of every pair: the numbers of all of them"

# ---- the run ----
run sh -c "grok-align --sample 12 --seed 3 small.h5 | grok-snap -l | cut -f2,4 | grep '^/align' | sort | tr '\t\n' '  '; echo"
is_stdout "/align/cos_max 6 /align/cos_mean 6 /align/cos_min 6 /align/dot_mean 6 /align/jac_fro_mean 6 /align/jac_pc1_mean 6 /align/mu_norm_mean 6 /align/n_points 6 /align/points 12 /align/step 6 /align/test_acc 6 /align/train_acc 6 /align@exact scalar /align@projections scalar /align@sample scalar /align@seed scalar /align@steps scalar " \
    "to a pipe: the run with /align"
run sh -c "grok-align --sample 12 --seed 3 small.h5 | grok-snap -l | grep '^attribute	/align@' | cut -f2,5 | tr '\t\n' '  '; echo"
is_stdout "/align@exact 0 /align@projections 0 /align@sample 12 /align@seed 3 /align@steps all " \
    "the settings as attributes"
run sh -c "grok-align --sample 12 --seed 3 small.h5 | grok-snap -t align | grep -v '^#' >r.txt; grok-align --sample 12 --seed 3 -t small.h5 | grep -v '^#' >t.txt; cmp r.txt t.txt && echo same"
is_stdout "same" "grok-snap -t align gives back the table"
run sh -c "grok-align --exact small.h5 | grok-align -s 20 -t | grep -c '^20	'"
is_stdout "1" "a run that holds /align already: read from standard input, the group replaced"

grok-align --threads 1 small.h5 >a.h5
grok-align --threads 1 small.h5 >b.h5
cmp -s a.h5 b.h5
ok $? "same flags and seed, same bytes"
grok-align --threads 1 --projections 3 -t small.h5 >t1.tsv
grok-align --threads 2 --projections 3 -t small.h5 >t2.tsv
cmp -s t1.tsv t2.tsv
ok $? "one thread or two, the same numbers"

run grok-align --exact -t mlp.h5
is_exit 0
run awk -F'\t' '!/^#/ && $1 != "step" && !($9 > 0 && $9 <= 1 && $8 > 0) {print "bad row", $0}' "$TMP/stdout"
is_stdout_empty

# ---- bad input ----
run grok-align -t foreign.h5
is_exit 1
is_stderr "grok-align: foreign.h5: not a grok run (an HDF5 file without format = \"grok-run\")"
run grok-align -t partial.h5
is_exit 1
is_stderr "grok-align: partial.h5: /snapshots/embed.W_E is missing (the run's snapshots do not hold every parameter)"
run grok-align -t nosnap.h5
is_exit 1
is_stderr "grok-align: nosnap.h5: no snapshots (/snapshots/step)"
run grok-align -t missing.h5
is_exit 1
is_stderr "grok-align: missing.h5: No such file or directory"
/usr/bin/python3 - <<'EOF'
import h5py, shutil
shutil.copy("small.h5", "nan.h5")
with h5py.File("nan.h5", "r+") as f:
    f["/snapshots/unembed.W_U"][2, 0, 0] = float("nan")
EOF
run grok-align -t nan.h5
is_exit 1
is_stderr "grok-align: nan.h5: the snapshot at step 40 holds a value that is not finite"
run grok-align --sample 62 -t small.h5
is_exit 1
is_stderr "grok-align: small.h5: --sample 62 is more than the run's 61 training pairs"
run grok-align -s 5000 -t small.h5
is_exit 1
is_stderr "grok-align: small.h5: no snapshot has a step in the range of -s"
run grok-align --sample 0 small.h5
is_exit 2
is_stderr "grok-align: --sample: bad value '0' (a whole number from 1 to 2147483647) (see grok-align --help)"
run grok-align --exact --projections 2 small.h5
is_exit 2
is_stderr "grok-align: --exact and --projections exclude each other (--exact computes all of J_x) (see grok-align --help)"
run grok-align --sample 62 small.h5 -o out.h5
[ ! -e out.h5 ]
ok $? "a failed grok-align leaves no output file"
run grok-align -t partial.h5 -o out.tsv
[ ! -e out.tsv ]
ok $? "nor a table"

done_testing
