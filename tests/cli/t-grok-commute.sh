#!/bin/sh
# grok-commute: what a user sees (stdout, the exact stderr line, the exit code), good and bad.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture --foreign foreign.h5
small="--preset xu --p 11 --d-model 16 --heads 2 --d-mlp 32 --batch 64 --eval-every 20 -q"
grok-train $small --steps 100 --snapshot-every 20 -o small.h5
grok-train $small --steps 40 --snapshot-every 20 --snapshot 'blocks.*' -o partial.h5
grok-train --p 7 --d-model 8 --heads 2 --d-mlp 16 --steps 40 --snapshot-every 10 -q -o other.h5
grok-pca small.h5 -o small-pca.h5
grok-pca -p 'blocks.0.attn.W_Q' other.h5 -o other-pca.h5
grok-train --model mlp --p 7 --embed 8 --hidden 16 --steps 20 --snapshot-every 10 -q -o mlp.h5

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
run sh -c "grok-commute -K 3 --batch 16 -t small.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" && !(\$2 > 0 && \$3 <= \$2 && \$2 <= \$4 && (\$1 == 0 ? \$11 == \"nan\" : \$11 > 0 && \$11 <= 1)) {print \"bad row\", \$0}'"
is_stdout_empty
run sh -c "grok-commute -K 3 --batch 16 --align-step next -t small.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" && !(\$11 > 0 && \$11 <= 1) {print \"bad row\", \$0}'"
is_stdout_empty
# at the last snapshot both take the step from the one before, with the same samples
run sh -c "grok-commute -K 3 --batch 16 -t small.h5 | grep -v '^#' | cut -f11 | tail -n 1 > prev; grok-commute -K 3 --batch 16 --align-step next -t small.h5 | grep -v '^#' | cut -f11 | tail -n 1 > next; cmp prev next && grep -q '^0\\.' prev"
is_exit 0
run grok-commute --align-step back small.h5
is_exit 2
is_stderr "grok-commute: --align-step 'back': expected previous or next (see grok-commute --help)"

run sh -c "grok-commute -K 3 --batch 16 -t small-pca.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" {ok = \$7 >= 0 && \$7 <= 1 && \$8 >= 0 && \$8 <= 1 && (\$7*\$7 + \$8*\$8 - 1) < 1e-9 && (\$7*\$7 + \$8*\$8 - 1) > -1e-9 && \$9 > 0; print ok}' | sort -u"
is_stdout "1" "with /pca: rho and the in-subspace share are shares, rho^2 + share^2 = 1 (odd K: one median sample)"
run sh -c "grok-commute -K 2 --batch 8 -s 0:20 -t small-pca.h5 | sed -n 2p"
is_stdout "# basis: small-pca.h5:/pca/basis (16 columns)" "the basis is the run's own /pca/basis"
run sh -c "grok-commute -K 2 --batch 8 -s 40 --basis small-pca.h5 -t small.h5 | grep -c '^40	'"
is_stdout "1" "--basis RUN takes another run's basis; -s picks the snapshots"

# ---- the local SVD basis (P1's figures) ----
run sh -c "grok-commute -K 3 --batch 16 --basis svd:3 -t small.h5 | sed -n 2p"
is_stdout "# basis: svd:3, local: the top 3 singular directions of blocks.*.attn.W_[QKVO] (8 matrices) at each snapshot (24 columns)" "--basis svd:3: 2 layers x 4 matrices x 3 = 24 columns"
run sh -c "grok-commute -K 3 --batch 16 --basis svd:3 -t small.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" {ok = \$7 >= 0 && \$7 <= 1 && \$8 > 0 && \$8 <= 1 && (\$7*\$7 + \$8*\$8 - 1)^2 < 1e-18 && \$9 > 0 && \$10 == \$8 / \$9; print ok}' | sort -u"
is_stdout "1" "svd:3: rho^2 + share^2 = 1, a share above 0, ratio = share_in / share_random"
# The share a random 24-dimensional subspace catches of a vector in 4875 dimensions is about
# sqrt(24 / 4875) = 0.070; five bases' mean of medians of 3 samples stays within a factor 2.
run sh -c "grok-commute -K 3 --batch 16 --basis svd:3 -t small.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" {print (\$9 > 0.035 && \$9 < 0.14)}' | sort -u"
is_stdout "1" "svd:3: the random bases are of rank 24 (share_random near sqrt(24/4875) = 0.07)"
run sh -c "grok-commute -K 2 --batch 8 --basis svd:2 -p 'blocks.0.attn.W_[QK]' -s 0 -t small.h5 | sed -n 2p"
is_stdout "# basis: svd:2, local: the top 2 singular directions of blocks.0.attn.W_[QK] (2 matrices) at each snapshot (4 columns)" "-p chooses the matrices of svd:K"
run sh -c "grok-commute -K 2 --batch 8 --basis svd:2 -p 'blocks.0.attn.W_Q' -p 'blocks.1.attn.W_O' -s 0 -t small.h5 | sed -n 2p"
is_stdout "# basis: svd:2, local: the top 2 singular directions of blocks.0.attn.W_Q or blocks.1.attn.W_O (2 matrices) at each snapshot (4 columns)" "-p repeats"
grok-commute -K 2 --batch 8 --basis svd:3 -s 0:20 small-pca.h5 -o svd.h5
run /usr/bin/python3 -c "import h5py; print(h5py.File('svd.h5', 'r')['/commute'].attrs['basis'].decode())"
is_stdout "svd:3, local: the top 3 singular directions of blocks.*.attn.W_[QKVO] (8 matrices) at each snapshot (24 columns)" "the run's /commute@basis says which basis"
grok-commute -K 3 --batch 16 --basis svd:3 --threads 1 small.h5 >s1.h5
grok-commute -K 3 --batch 16 --basis svd:3 --threads 1 small.h5 >s3.h5
cmp -s s1.h5 s3.h5
ok $? "svd:3: same flags and seed, same bytes"
grok-commute -K 3 --batch 16 --basis svd:3 --threads 1 -t small.h5 >s1.tsv
grok-commute -K 3 --batch 16 --basis svd:3 --threads 2 -t small.h5 >s2.tsv
cmp -s s1.tsv s2.tsv
ok $? "svd:3: one thread or two, the same numbers"

# ---- the phases of training ----
# small.h5's accuracies replaced: early, early, memorisation, transition, post-grok, post-grok
/usr/bin/python3 - <<'EOF2'
import h5py, numpy as np, shutil
def metrics(name, step, train, test, src="small.h5"):
    shutil.copy(src, name)
    with h5py.File(name, "r+") as f:
        m = f["/metrics"]
        cols = {k: m[k][...] for k in m}
        keep = np.isin(cols["step"], step)
        for k in list(m):
            del m[k]
        for k, v in cols.items():
            v = v[keep]
            if k == "train_acc": v = np.array(train, dtype=v.dtype)
            if k == "test_acc": v = np.array(test, dtype=v.dtype)
            m.create_dataset(k, data=v, maxshape=(None,), chunks=True)
metrics("phased.h5", [0, 20, 40, 60, 80, 100], [0.1, 0.5, 0.96, 0.97, 1.0, 1.0],
        [0.0, 0.1, 0.1, 0.5, 0.95, 0.99])
# evaluations at 20 and 60 only: snapshot 0 has none before it, 40 takes 20's, 80 and 100 take 60's
metrics("sparse.h5", [20, 60], [0.5, 0.97], [0.1, 0.1])
shutil.copy("small.h5", "nometrics.h5")
with h5py.File("nometrics.h5", "r+") as f:
    del f["/metrics"]
EOF2
run sh -c "grok-commute -K 2 --batch 8 -t phased.h5 | grep -v '^#' | cut -f1,13-"
is_stdout "step	train_acc	test_acc	phase
0	0.10000000000000001	0	early
20	0.5	0.10000000000000001	early
40	0.95999999999999996	0.10000000000000001	memorisation
60	0.96999999999999997	0.5	transition
80	1	0.94999999999999996	post-grok
100	1	0.98999999999999999	post-grok" "each snapshot's accuracies and phase (P1's thresholds: 0.95, 0.3, 0.95)"
run sh -c "grok-commute -K 2 --batch 8 -t sparse.h5 | grep -v '^#' | cut -f1,13-"
is_stdout "step	train_acc	test_acc	phase
0	nan	nan	nan
20	0.5	0.10000000000000001	early
40	0.5	0.10000000000000001	early
60	0.96999999999999997	0.10000000000000001	memorisation
80	0.96999999999999997	0.10000000000000001	memorisation
100	0.96999999999999997	0.10000000000000001	memorisation" "a snapshot between evaluations takes the last one before it; none before: nan"
run sh -c "grok-commute -K 2 --batch 8 --basis svd:3 -t phases phased.h5 | grep -v '^#' | cut -f1-4"
is_exit 0
is_stdout "phase	snapshots	step_first	step_last
early	2	0	20
memorisation	1	40	40
transition	1	60	60
post-grok	2	80	100" "-t phases: the snapshots and steps of each phase"
run sh -c "grok-commute -K 3 --batch 16 --basis svd:3 -t phased.h5 >snap.tsv && grok-commute -K 3 --batch 16 --basis svd:3 -t phases phased.h5 | grep -v '^#' | cut -f1,5-"
cp "$TMP/stdout" phases.tsv
run awk -F'\t' 'FNR == 1 {next} NR == FNR {if ($1 !~ /^#/) {r[$15] = r[$15] " " $10; s[$15] = s[$15] " " $8; q[$15] = q[$15] " " $9; d[$15] = d[$15] " " $2}; next}
    function med(list,   a, n, i, j, t) {n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) {t = a[i]; a[i] = a[j]; a[j] = t}
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2}
    {print $1, ($2 - med(r[$1]))^2 < 1e-24 && ($3 - med(s[$1]))^2 < 1e-24 && ($4 - med(q[$1]))^2 < 1e-24 && ($5 - med(d[$1]))^2 < 1e-24}' snap.tsv phases.tsv
is_stdout "early 1
memorisation 1
transition 1
post-grok 1" "-t phases: the medians of each phase's ratio, share_in, share_random and D_median"
run sh -c "grok-commute -K 2 --batch 8 --phase-train 0.5 --phase-test-low 0.05 --phase-test-high 0.99 -t phases phased.h5 | grep -v '^#' | cut -f1-4"
is_stdout "phase	snapshots	step_first	step_last
early	1	0	0
memorisation	0	nan	nan
transition	4	20	80
post-grok	1	100	100" "the thresholds are flags"
run sh -c "grok-commute -K 2 --batch 8 -t phases phased.h5 | sed -n 4p"
is_stdout "# phases: post-grok: test_acc >= 0.95; memorisation: train_acc >= 0.95 and test_acc < 0.3; transition: train_acc >= 0.95; early: the rest (the last /metrics row at or before each step)" "the rule in the metadata"
run sh -c "grok-commute -K 2 --batch 8 phased.h5 | grok-snap -t commute/phases | grep -v '^#'"
is_stdout "snapshots	step_first	step_last	ratio	share_in	share_random	D_median
2	0	20	nan	nan	nan	$(grok-commute -K 2 --batch 8 -t phases phased.h5 | awk -F'\t' '$1 == "early" {print $8}')
1	40	40	nan	nan	nan	$(grok-commute -K 2 --batch 8 -t phases phased.h5 | awk -F'\t' '$1 == "memorisation" {print $8}')
1	60	60	nan	nan	nan	$(grok-commute -K 2 --batch 8 -t phases phased.h5 | awk -F'\t' '$1 == "transition" {print $8}')
2	80	100	nan	nan	nan	$(grok-commute -K 2 --batch 8 -t phases phased.h5 | awk -F'\t' '$1 == "post-grok" {print $8}')" "the run's /commute/phases holds the phases table (without a basis: no ratio)"
run sh -c "grok-commute -K 2 --batch 8 phased.h5 | grok-snap -t commute | grep -v '^#' | cut -f13-15 | sed -n '1p;4p;5p'"
is_stdout "train_acc	test_acc	phase
0.95999999999999996	0.10000000000000001	1
0.96999999999999997	0.5	2" "/commute/phase: the phase's number (0 early, 1 memorisation, 2 transition, 3 post-grok)"
run sh -c "grok-commute -K 2 --batch 8 -s 0 nometrics.h5 | grok-snap -l | grep -c '/commute/phases'"
is_stdout "0" "a run without /metrics: no /commute/phases"
run sh -c "grok-commute -K 2 --batch 8 -s 0 -t nometrics.h5 | grep -v '^#' | cut -f13-"
is_stdout "train_acc	test_acc	phase
nan	nan	nan" "a run without /metrics: nan accuracies and phases"
run grok-commute -K 2 --batch 8 -s 0 -t phases nometrics.h5
is_exit 1
is_stderr "grok-commute: nometrics.h5: no dataset /metrics/step (-t phases needs the run's accuracies)"

# ---- the run ----
run sh -c "grok-commute -K 2 --batch 8 small-pca.h5 | grok-snap -l | cut -f2 | grep '^/commute' | sort | tr '\n' ' '; echo"
is_stdout "/commute/D /commute/D_median /commute/D_par /commute/D_perp /commute/D_q1 /commute/D_q3 /commute/align /commute/align_random /commute/phase /commute/phase@phases /commute/phases/D_median /commute/phases/ratio /commute/phases/share_in /commute/phases/share_random /commute/phases/snapshots /commute/phases/step_first /commute/phases/step_last /commute/phases@phase_test_high /commute/phases@phase_test_low /commute/phases@phase_train /commute/phases@phases /commute/phases@rule /commute/ratio /commute/rho /commute/share_in /commute/share_random /commute/step /commute/test_acc /commute/train_acc /commute@K /commute@align_step /commute@basis /commute@batch /commute@eta /commute@precision /commute@random_bases /commute@seed /commute@steps " "to a pipe: the run with /commute"
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
is_stderr "grok-commute: -t: '=x' is not a table of grok-commute (snapshots, phases, hessian) (see grok-commute --help)"
run grok-commute --basis svd:0 small.h5
is_exit 2
is_stderr "grok-commute: --basis: bad value 'svd:0' (svd:K with K a whole number from 1 to 10000, or a run) (see grok-commute --help)"
run grok-commute --basis svd:x small.h5
is_exit 2
is_stderr "grok-commute: --basis: bad value 'svd:x' (svd:K with K a whole number from 1 to 10000, or a run) (see grok-commute --help)"
run grok-commute --basis svd: small.h5
is_exit 2
is_stderr "grok-commute: --basis: bad value 'svd:' (svd:K with K a whole number from 1 to 10000, or a run) (see grok-commute --help)"
run grok-commute --basis svd:17 -t small.h5
is_exit 1
is_stderr "grok-commute: small.h5: --basis svd:17: blocks.0.attn.W_Q (16 x 16 with its heads joined) has 16 singular directions, not 17"
is_stdout_empty
run grok-commute --basis svd:3 -t mlp.h5
is_exit 1
is_stderr "grok-commute: mlp.h5: --basis svd:3: the model has no attention matrix (no parameter matches blocks.*.attn.W_[QKVO])"
run grok-commute --basis svd:3 -p 'mlp.*' -t small.h5
is_exit 1
is_stderr "grok-commute: small.h5: --basis svd:3: no parameter matches mlp.*"
run grok-commute --basis svd:1 -p 'blocks.0.attn.b_O' -t small.h5
is_exit 1
is_stderr "grok-commute: small.h5: --basis svd:1: blocks.0.attn.b_O is not a matrix (rank 1)"
run grok-commute -p 'blocks.*' -t small.h5
is_exit 2
is_stderr "grok-commute: -p chooses the matrices of --basis svd:K, which is not given (see grok-commute --help)"
run grok-commute --phase-train 1.5 small.h5
is_exit 2
is_stderr "grok-commute: --phase-train: bad value '1.5' (an accuracy from 0 to 1) (see grok-commute --help)"
run grok-commute --phase-test-low -0.1 small.h5
is_exit 2
is_stderr "grok-commute: --phase-test-low: bad value '-0.1' (an accuracy from 0 to 1) (see grok-commute --help)"
run grok-commute --phase-test-high nan small.h5
is_exit 2
is_stderr "grok-commute: --phase-test-high: bad value 'nan' (an accuracy from 0 to 1) (see grok-commute --help)"
run grok-commute --phase-test-low 0.99 small.h5
is_exit 2
is_stderr "grok-commute: --phase-test-low 0.99 is above --phase-test-high 0.95 (see grok-commute --help)"
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
