#!/bin/sh
# grok-commute: what a user sees (stdout, the exact stderr line, the exit code), good and bad.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture --foreign foreign.h5
small="--preset xu --p 11 --d-model 16 --heads 2 --d-mlp 32 --batch 64 --eval-every 20 -q"
grok-train $small --steps 100 --snapshot-every 20 -o small.h5
grok-train $small --steps 40 --snapshot-every 20 --snapshot 'blocks.*' -o partial.h5
grok-train --p 7 --d-model 8 --heads 2 --d-mlp 16 --steps 20 --snapshot-every 10 -q -o other.h5
grok-pca small.h5 -o small-pca.h5
grok-pca -p 'blocks.0.attn.W_Q' other.h5 -o other-pca.h5

# ---- the table ----
run grok-commute -K 3 --batch 16 -t small.h5
is_exit 0
is_stderr_empty
sed -n '1,3p' "$TMP/stdout" >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "# run: small.h5
# basis: none
# samples: K 3, batch 16, eta 0.001, seed 0" "-t: the settings as metadata"
run sh -c "grok-commute -K 3 --batch 16 -t small.h5 | grep -v '^#' | cut -f1,7-10"
is_stdout "step	rho	share_in	share_random	ratio
0	nan	nan	nan	nan
20	nan	nan	nan	nan
40	nan	nan	nan	nan
60	nan	nan	nan	nan
80	nan	nan	nan	nan
100	nan	nan	nan	nan" "without /pca: one row per snapshot, the defect alone"
run sh -c "grok-commute -K 3 --batch 16 -t small.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" && !(\$2 > 0 && \$3 <= \$2 && \$2 <= \$4 && \$11 > 0 && \$11 <= 1) {print \"bad row\", \$0}'"
is_stdout_empty

run sh -c "grok-commute -K 3 --batch 16 -t small-pca.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" {ok = \$7 >= 0 && \$7 <= 1 && \$8 >= 0 && \$8 <= 1 && (\$7*\$7 + \$8*\$8 - 1) < 1e-9 && (\$7*\$7 + \$8*\$8 - 1) > -1e-9 && \$9 > 0; print ok}' | sort -u"
is_stdout "1" "with /pca: rho and the in-subspace share are shares, rho^2 + share^2 = 1 (odd K: one median sample)"
run sh -c "grok-commute -K 2 --batch 8 -s 0:20 -t small-pca.h5 | sed -n 2p"
is_stdout "# basis: small-pca.h5:/pca/basis (16 columns)" "the basis is the run's own /pca/basis"
run sh -c "grok-commute -K 2 --batch 8 -s 40 --basis small-pca.h5 -t small.h5 | grep -c '^40	'"
is_stdout "1" "--basis RUN takes another run's basis; -s picks the snapshots"

# ---- the run ----
run sh -c "grok-commute -K 2 --batch 8 small-pca.h5 | grok-snap -l | cut -f2 | grep '^/commute' | sort | tr '\n' ' '; echo"
is_stdout "/commute/D /commute/D_median /commute/D_par /commute/D_perp /commute/D_q1 /commute/D_q3 /commute/align /commute/align_random /commute/ratio /commute/rho /commute/share_in /commute/share_random /commute/step /commute@K /commute@basis /commute@batch /commute@eta /commute@precision /commute@random_bases /commute@seed /commute@steps " "to a pipe: the run with /commute"
run sh -c "grok-commute -K 2 --batch 8 small-pca.h5 | grok-snap -l | grep -c '^dataset	/pca/basis'"
is_stdout "1" "the output keeps /pca"

grok-commute -K 3 --batch 16 --threads 1 small-pca.h5 >a.h5
grok-commute -K 3 --batch 16 --threads 1 small-pca.h5 >b.h5
cmp -s a.h5 b.h5
ok $? "same flags and seed, same bytes"
grok-commute -K 3 --batch 16 --threads 1 -t small-pca.h5 >t1.tsv
grok-commute -K 3 --batch 16 --threads 2 -t small-pca.h5 >t2.tsv
cmp -s t1.tsv t2.tsv
ok $? "one thread or two, the same numbers"
grok-commute -K 3 --batch 16 --seed 5 -t small-pca.h5 >t3.tsv
! cmp -s t1.tsv t3.tsv
ok $? "another --seed, other minibatches"
run sh -c "grok-commute --float -K 3 --batch 16 -t small-pca.h5 | grep -v '^#' | cut -f2 >f.txt; grep -v '^#' t1.tsv | cut -f2 >d.txt; paste f.txt d.txt | awk -F'\t' 'NR > 1 {r = (\$1 - \$2) / \$2; if (r < 0) r = -r; if (r > 1e-3) print \"differ\", \$0}'"
is_stdout_empty

# ---- SIGINT: within a snapshot's samples, exit 130 and write nothing ----
# One snapshot of 100000 samples takes half a minute; the signal must not wait for it.
grok-commute -K 100000 --batch 4 -s 0 small-pca.h5 -o int.h5 2>int.err &
pid=$!
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
[ "$rc" -eq 130 ] && [ "$(cat int.err)" = "grok-commute: interrupted" ]
ok $? "SIGINT in the middle of a snapshot's samples: exit 130, one line (got $rc: $(cat int.err))"
[ ! -e int.h5 ] && [ -z "$(ls -a | grep '^\.int\.h5')" ]
ok $? "an interrupted grok-commute leaves no output file"

# ---- bad input ----
run grok-commute -t foreign.h5
is_exit 1
is_stderr "grok-commute: foreign.h5: not a grok run (an HDF5 file without format = \"grok-run\")"
run grok-commute -t partial.h5
is_exit 1
is_stderr "grok-commute: partial.h5: /snapshots/embed.W_E is missing (the run's snapshots do not hold every parameter)"
run grok-commute -t missing.h5
is_exit 1
is_stderr "grok-commute: missing.h5: No such file or directory"
run grok-commute --basis other-pca.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: other-pca.h5: /pca/basis has 719 rows, the model has 4875 parameters (a basis of another model?)"
/usr/bin/python3 - <<'EOF2'
import h5py, numpy as np, shutil
def with_basis(name, B):
    shutil.copy("small-pca.h5", name)
    with h5py.File(name, "r+") as f:
        del f["/pca/basis"]
        f["/pca/basis"] = B
B = h5py.File("small-pca.h5", "r")["/pca/basis"][...]
skew = B.copy(); skew[:, 1] += 0.5 * B[:, 0]
with_basis("skew.h5", skew)
scaled = B.copy(); scaled[:, 3] *= 1 + 1e-5
with_basis("scaled.h5", scaled)
near = B.copy(); near[:, 3] *= 1 + 1e-8
with_basis("near.h5", near)
with_basis("flat.h5", B[:, 0])
with_basis("nocols.h5", np.zeros((B.shape[0], 0)))
EOF2
run grok-commute --basis skew.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: skew.h5: /pca/basis is not orthonormal (|B^T B - I| reaches 0.5, above 1e-06): rho and the shares would be wrong"
run grok-commute --basis scaled.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: scaled.h5: /pca/basis is not orthonormal (|B^T B - I| reaches 2e-05, above 1e-06): rho and the shares would be wrong"
run grok-commute -t -K 1 --batch 4 -s 0 near.h5
is_exit 0
is_stderr_empty
run grok-commute --basis flat.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: flat.h5: /pca/basis is not a 2-D [n_params, K] array"
run grok-commute --basis nocols.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: nocols.h5: /pca/basis has no columns"
run grok-commute --basis small.h5 -t small.h5
is_exit 1
is_stderr "grok-commute: small.h5: no /pca/basis (run grok-pca on it first)"
run grok-commute -K 0 small.h5
is_exit 2
is_stderr "grok-commute: -K: bad value '0' (a whole number from 1 to 100000) (see grok-commute --help)"
run grok-commute --eta -1 small.h5
is_exit 2
is_stderr "grok-commute: --eta: bad value '-1' (a number from 1e-12 to 1, e.g. 1e-3) (see grok-commute --help)"
# 1e308 overflowed theta - eta g into a table of nan; 1e-20 rounded the steps away, every D 0
run grok-commute --eta 1e308 -t small.h5
is_exit 2
is_stderr "grok-commute: --eta: bad value '1e308' (a number from 1e-12 to 1, e.g. 1e-3) (see grok-commute --help)"
is_stdout_empty
run grok-commute --eta 1e-20 -t small.h5
is_exit 2
is_stderr "grok-commute: --eta: bad value '1e-20' (a number from 1e-12 to 1, e.g. 1e-3) (see grok-commute --help)"
run sh -c "grok-commute --eta 1 -K 2 --batch 8 -s 0 -t small.h5 | awk -F'\t' '!/^#/ && \$1 == 0 {print (\$2 > 0 && \$2 < 1e6)}'"
is_exit 0
is_stdout "1" "--eta 1, the top of the range: a finite defect"
run sh -c "grok-commute --eta 1e-12 -K 2 --batch 8 -s 0 -t small.h5 | awk -F'\t' '!/^#/ && \$1 == 0 {print (\$2 > 0 && \$2 < 1e6)}'"
is_stdout "1" "--eta 1e-12, the bottom of the range: a defect above 0"
run grok-commute --random-bases x small.h5
is_exit 2
is_stderr "grok-commute: --random-bases: bad value 'x' (a whole number from 0 to 1000) (see grok-commute --help)"
run grok-commute --threads 99 small.h5
is_exit 2
is_stderr "grok-commute: --threads: bad value '99' (a whole number from 0 to 64) (see grok-commute --help)"
run grok-commute --batch 0 small.h5
is_exit 2
is_stderr "grok-commute: --batch: bad value '0' (a whole number from 1 to 16777216) (see grok-commute --help)"
run grok-commute -t=x small.h5
is_exit 2
is_stderr "grok-commute: -t takes no argument in grok-commute (its one table) (see grok-commute --help)"
# A defect that is not finite whatever --eta (weights near float32's limit overflow --float's
# gradients) is refused with its step, not printed as nan.
/usr/bin/python3 - <<'EOF2'
import h5py, shutil
shutil.copy("small.h5", "huge.h5")
with h5py.File("huge.h5", "r+") as f:
    for name, d in f["/snapshots"].items():
        if name != "step":
            d[1] = d[1] * 1e30
EOF2
run grok-commute --float -K 2 --batch 8 -t huge.h5
is_exit 1
is_stderr "grok-commute: huge.h5: the defect at step 20 is not finite (sample 1 of 2, --eta 0.001)"
is_stdout_empty
# /snapshots/step out of order: refused where the snapshots are read (t-grok-pca.sh has the rest)
/usr/bin/python3 - <<'EOF2'
import h5py, shutil
shutil.copy("small.h5", "back.h5")
with h5py.File("back.h5", "r+") as f:
    s = f["/snapshots/step"]
    s[2], s[3] = 60, 40
EOF2
run grok-commute -K 2 --batch 8 -t back.h5
is_exit 1
is_stderr "grok-commute: back.h5: /snapshots/step is not increasing (row 4: 40 after 60)"
run grok-commute -s 5000 -t small.h5
is_exit 1
is_stderr "grok-commute: small.h5: no snapshot has a step in the range of -s"
run grok-commute -K 2 --batch 8 small.h5 -o out.h5 -s 5000
[ ! -e out.h5 ]
ok $? "a failed grok-commute leaves no output file"

done_testing
