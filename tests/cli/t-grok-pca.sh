#!/bin/sh
# grok-pca: what a user sees (stdout, the exact stderr line, the exit code), good and bad, and
# the basis it leaves for grok-commute.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
grok-fixture --foreign foreign.h5
PY=/usr/bin/python3
# A small real run: 2 layers, so 8 attention matrices, 16 snapshots.
grok-train --preset xu --p 11 --d-model 16 --heads 2 --d-mlp 32 --batch 64 --steps 300 \
    --snapshot-every 20 --eval-every 20 -q -o small.h5
grok-train --p 7 --d-model 8 --heads 2 --d-mlp 16 --steps 5 --snapshot-every 0 -q -o nosnap.h5

# Rounded numbers: the last digits of a decomposition may differ between BLAS kernels.
rounded() { awk -F'\t' 'BEGIN{OFS="\t"} /^#/ || $1=="matrix" {print; next}
    {for (i = 1; i <= NF; i++) if ($i ~ /^-?[0-9]+\.[0-9]/) $i = sprintf("%.6f", $i); print}' "$@"; }

# ---- the summary table ----
run grok-pca -t run.h5
is_exit 0
is_stderr_empty
rounded "$TMP/stdout" >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "# run: run.h5
# snapshots: 11 (steps 0 to 1000)
matrix	n_params	n_snapshots	pc1	pc2	pc3	top3
blocks.0.attn.W_Q	64	11	0.981233	0.018767	0	1.000000" "-t: one row per matrix, the fixture's attention matrix by default"

run grok-pca -t -p 'embed.W_E' -p 'unembed.*' -s 0:500 run.h5
rounded "$TMP/stdout" | cut -f1-3 >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "# run: run.h5
# snapshots: 6 (steps 0 to 500)
matrix	n_params	n_snapshots
embed.W_E	64	6
unembed.W_U	56	6" "-p and -s select the matrices and the snapshots"

run grok-pca -t --joint -p 'embed.W_E' -p 'unembed.*' run.h5
is_exit 0
sed -n 4p "$TMP/stdout" | cut -f1-3 >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "joint	120	11" "--joint: one matrix of every selected parameter"

run grok-pca -t proj -k 2 -s 0:200 run.h5
rounded "$TMP/stdout" | sed -n '3,4p' | cut -f1-2 >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "matrix	step
blocks.0.attn.W_Q	0" "-t proj: one row per snapshot"
run sh -c "grok-pca -t proj -k 2 run.h5 | sed -n 3p"
is_stdout "matrix	step	proj1	proj2" "-t proj: k projection columns"

# Too few snapshots: T centred snapshots span T - 1 directions, so the shares are fixed by the
# count. The table is still written, after one warning line.
run grok-pca -t --joint -s 0:100 run.h5
is_exit 0
is_stderr "grok-pca: run.h5: 2 snapshots span 1 direction at most, so PC1 = 1 whatever the training did; the shares mean something from 5 snapshots on"
rounded "$TMP/stdout" | sed -n 4p | cut -f1-4 >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "joint	64	2	1" "--joint on 2 snapshots: PC1 = 1, with the warning"
run grok-pca -t -s 0:300 run.h5
is_exit 0
is_stderr "grok-pca: run.h5: 4 snapshots span 3 directions at most, so PC1 + PC2 + PC3 = 1 whatever the training did; the shares mean something from 5 snapshots on"
run grok-pca -s 0:200 run.h5 -o few.h5
is_exit 0
is_stderr "grok-pca: run.h5: 3 snapshots span 2 directions at most, so PC1 + PC2 = 1 whatever the training did; the shares mean something from 5 snapshots on"
run grok-pca -t -s 0:400 run.h5
is_exit 0
is_stderr_empty
run grok-pca -q -t --joint -s 0:100 run.h5
is_exit 0
is_stderr_empty

run grok-pca -t window --window expanding:4 --null random-walk:5 run.h5
is_exit 0
grep -v '^#' "$TMP/stdout" | cut -f1-3 >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "matrix	t	step
blocks.0.attn.W_Q	3	200
blocks.0.attn.W_Q	6	500
blocks.0.attn.W_Q	8	700
blocks.0.attn.W_Q	11	1000" "--window expanding:4: four growing windows ending at the last snapshot"
run sh -c "grok-pca -t window --window expanding:4 --null random-walk:5 run.h5 | awk -F'\t' '\$2 == 11 {print (\$4 > 0.98 && \$5 > 0 && \$5 < 1 && \$6 >= 0)}'"
is_stdout "1" "the last window is the whole trajectory; the null's mean and spread are shares"

# ---- the run ----
cp run.h5 before.h5
run sh -c "grok-pca run.h5 | grok-snap -l | cut -f2 | grep '^/pca' | sort"
is_stdout "/pca/blocks.0.attn.W_Q/components
/pca/blocks.0.attn.W_Q/mean
/pca/blocks.0.attn.W_Q/proj
/pca/blocks.0.attn.W_Q/share
/pca/n_params
/pca/pc1
/pca/pc2
/pca/pc3
/pca/step
/pca/top3
/pca@basis
/pca@basis_k
/pca@joint
/pca@k
/pca@matrices
/pca@method
/pca@null_walks
/pca@seed
/pca@steps
/pca@window" "to a pipe: the run with /pca"
cmp -s run.h5 before.h5
ok $? "the input run is untouched"
run sh -c "grok-pca run.h5 | grok-snap -l | grep -c '^dataset	/snapshots/'"
is_stdout "5" "the output keeps the snapshots"
run sh -c "grok-pca run.h5 | grok-pca -p 'embed.W_E' | grok-snap -l | grep -c '/pca/blocks'"
is_stdout "0" "a second grok-pca replaces /pca"

grok-pca --null random-walk:3 --window expanding:3 run.h5 >a.h5
grok-pca --null random-walk:3 --window expanding:3 run.h5 >b.h5
cmp -s a.h5 b.h5
ok $? "same flags and seed, same bytes"
grok-pca --null random-walk:3 --seed 9 run.h5 -o c.h5
run sh -c "grok-snap -t pca a.h5 | cut -f6 | tail -1; grok-snap -t pca c.h5 | cut -f6 | tail -1"
[ "$(sed -n 1p "$TMP/stdout")" != "$(sed -n 2p "$TMP/stdout")" ]
ok $? "another --seed, other walks"

# ---- the execution-subspace basis of a real run ----
run grok-pca small.h5 -o small-pca.h5
is_exit 0
run $PY - <<'EOF'
import h5py, numpy as np
f = h5py.File("small-pca.h5", "r")
B = f["/pca/basis"][...]
params = f["/pca/basis"].attrs["params"].decode().split(",")
offsets = [int(x) for x in f["/pca/basis"].attrs["offsets"].decode().split(",")]
cols = f["/pca/basis"].attrs["columns"].decode().split(",")
assert B.shape == (f["/pca/basis"].attrs["n_params"], 16), B.shape
err = np.abs(B.T @ B - np.eye(16)).max()
assert err < 1e-12, err
for j, name in enumerate(cols):
    i = params.index(name)
    lo, size = offsets[i], f["/snapshots/" + name].shape
    size = int(np.prod(size[1:]))
    inside = B[lo:lo + size, j]
    assert np.abs(B[:, j]).sum() - np.abs(inside).sum() < 1e-12, "column %d leaks out of %s" % (j, name)
    comp = f["/pca/" + name + "/components"][j % 2].ravel()
    assert np.abs(inside - comp).max() < 1e-12, "column %d is not %s's component %d" % (j, name, j % 2)
# The components are the right singular vectors of the centred trajectory (numpy's SVD).
for name in f["/pca"].attrs["matrices"].decode().split(","):
    X = f["/snapshots/" + name][...].reshape(16, -1).astype(np.float64)
    Xc = X - X.mean(0)
    s = np.linalg.svd(Xc, compute_uv=False)
    share = f["/pca/" + name + "/share"][...]
    assert np.abs(share - (s**2 / (s**2).sum())[:len(share)]).max() < 1e-10, name
print("ok")
EOF
is_stdout "ok" "/pca/basis: 16 orthonormal columns, each a matrix's component at that matrix's offset; shares match numpy"
run sh -c "grok-pca -k 3 --basis-k 5 small.h5 | grok-snap -l | grep '^dataset	/pca/basis	' | cut -f3-4; grok-pca -k 3 --basis-k 5 -t small.h5 | sed -n 3p | cut -f1-7"
is_stdout "float64	4875x40
matrix	n_params	n_snapshots	pc1	pc2	pc3	top3" "--basis-k above -k: 5 directions of each of the 8 matrices; the table keeps its columns"

# ---- -t spectra: P1's weight-spectrum measures ----
run grok-pca -t spectra small.h5
is_exit 0
is_stderr_empty
sed -n 1,4p "$TMP/stdout" >"$TMP/r"
cp "$TMP/stdout" spectra.tsv
cp "$TMP/r" "$TMP/stdout"
is_stdout "# run: small.h5
# snapshots: 16 (steps 0 to 300)
# spectra: W_Q and W_K, heads joined as PyTorch's in_proj rows; head h: their diagonal block of rows and columns h*d_head to (h+1)*d_head-1
step	layer	head	q_sigma1	q_sigma2	q_sigma3	k_sigma1	k_sigma2	k_sigma3	q_gap12	q_gap23	k_gap12	k_gap23	comm_F" \
    "-t spectra: its header, 3 singular values by default"
run sh -c "grep -v '^#' spectra.tsv | sed 1d | awk -F'\t' '{print NF}' | sort | uniq -c | sed 's/^ *//'; grep -v '^#' spectra.tsv | sed -n '2,7p;97p' | cut -f1-3"
is_stdout "96 14
0	0	all
0	0	0
0	0	1
0	1	all
0	1	0
0	1	1
300	1	1" "16 snapshots x 2 layers x (the whole matrices, 2 heads) rows of 14 columns, by step, layer, head"
grok-pca -t spectra small.h5 >again.tsv
cmp -s spectra.tsv again.tsv
ok $? "-t spectra: the same run, the same bytes"
run sh -c "grok-pca -t spectra -k 8 -s 100:200 -p 'blocks.1.*' small.h5 | grep -v '^#' | awk -F'\t' 'NR == 1 {print \$1, \$11, \$12, \$24, NF; next} {print \$1, \$2, \$3, NF}' | sed -n '1,4p;19p'"
is_stdout "step q_sigma8 k_sigma1 comm_F 24
100 1 all 24
100 1 0 24
100 1 1 24
200 1 1 24" "-k 8: eight values of each; -s: the snapshots from 100 to 200; -p: layer 1's W_Q and W_K"
run sh -c "grok-pca -t spectra -k 8 -s 100:200 -p 'blocks.1.*' small.h5 | grep -v '^#' | sed 1d | wc -l"
is_stdout "18" "6 snapshots x 3 rows"
if has_h5py; then
    grok-pca -t spectra -k 5 small.h5 >spectra5.tsv
    run $PY - <<'EOF'
import h5py, numpy as np
# P1's grok_weight_svd_gaps.py on PyTorch's in_proj rows: W (n_heads, d_model, d_head) becomes
# WQ[h*d_head + j, i] = W[h, i, j]; head h's block is WQ[s:e, s:e].
f = h5py.File("small.h5", "r")
rows = [l.rstrip("\n").split("\t") for l in open("spectra5.tsv") if not l.startswith("#")][1:]
steps = list(f["/snapshots/step"][...])
worst = 0
for r in rows:
    t, L = steps.index(int(r[0])), int(r[1])
    def joined(m):
        W = f["/snapshots/blocks.%d.attn.%s" % (L, m)][t].astype(np.float64)
        H, d, dh = W.shape
        return W.transpose(0, 2, 1).reshape(H * dh, d), dh
    WQ, dh = joined("W_Q")
    WK, _ = joined("W_K")
    if r[2] != "all":
        s, e = int(r[2]) * dh, (int(r[2]) + 1) * dh
        WQ, WK = WQ[s:e, s:e], WK[s:e, s:e]
    SQ, SK = np.linalg.svd(WQ, compute_uv=False), np.linalg.svd(WK, compute_uv=False)
    want = list(SQ[:5]) + list(SK[:5]) + [SQ[0] - SQ[1], SQ[1] - SQ[2], SK[0] - SK[1],
                                          SK[1] - SK[2], np.linalg.norm(WQ @ WK - WK @ WQ, "fro")]
    got = [float(x) for x in r[3:]]
    assert len(got) == len(want), r
    worst = max([worst] + [abs(a - b) / max(abs(b), 1e-3) for a, b in zip(got, want)])
assert len(rows) == 96 and worst < 1e-10, (len(rows), worst)
print("ok")
EOF
    is_stdout "ok" "-t spectra: numpy's singular values, gaps and commutators, P1's way, on every row"
else
    ok 0 "# SKIP python3-h5py or python3-numpy is not installed"
fi

grok-train --model mlp --p 11 --embed 8 --hidden 16 --steps 4 --eval-every 2 --snapshot-every 2 -q -o mlp.h5
grok-train --p 7 --d-model 8 --heads 2 --d-head 3 --d-mlp 16 --steps 4 --snapshot-every 2 -q -o rect.h5
grok-train --p 7 --d-model 4 --heads 2 --d-mlp 16 --steps 4 --snapshot-every 2 -q -o dh2.h5
run grok-pca -t spectra mlp.h5
is_exit 1
is_stderr "grok-pca: mlp.h5: -t spectra needs attention; /snapshots holds no blocks.L.attn.W_Q and W_K"
run grok-pca -t spectra run.h5
is_exit 1
is_stderr "grok-pca: run.h5: -t spectra needs W_Q and W_K; /snapshots holds blocks.0.attn.W_Q but no blocks.0.attn.W_K"
run grok-pca -t spectra rect.h5
is_exit 1
is_stderr "grok-pca: rect.h5: blocks.0.attn.W_Q has 2 heads of 3 on a stream of 8: joined, they are not square, and the commutator needs them square"
run grok-pca -t spectra dh2.h5
is_exit 1
is_stderr "grok-pca: dh2.h5: blocks.0.attn.W_Q has heads of 2: a head's block has no third singular value for the gap sigma2 - sigma3"
run grok-pca -t spectra -s 5000:6000 small.h5
is_exit 1
is_stderr "grok-pca: small.h5: -s 5000:6000 selects no snapshot"
run grok-pca -t spectra -p 'blocks.1.attn.W_Q' small.h5
is_exit 1
is_stderr "grok-pca: small.h5: -p blocks.1.attn.W_Q selects no layer's W_Q and W_K"
run grok-pca -t spectra -k 9 small.h5
is_exit 1
is_stderr "grok-pca: small.h5: -k 9: a head's block of blocks.0.attn.W_Q has 8 singular values"
if has_h5py; then
    $PY - <<'EOF'
import h5py, shutil
shutil.copy("small.h5", "nank.h5")
with h5py.File("nank.h5", "r+") as f:
    f["/snapshots/blocks.1.attn.W_K"][3, 1, 2, 0] = float("inf")
EOF
    run grok-pca -t spectra nank.h5
    is_exit 1
    is_stderr "grok-pca: nank.h5: blocks.1.attn.W_K: the snapshot at step 60 holds a value that is not finite"
    run grok-pca -t spectra -s 80:300 nank.h5
    is_exit 0
    is_stderr_empty
fi

# ---- bad input ----
run grok-pca -t foreign.h5
is_exit 1
is_stderr "grok-pca: foreign.h5: not a grok run (an HDF5 file without format = \"grok-run\")"
run grok-pca -t nosnap.h5
is_exit 1
is_stderr "grok-pca: nosnap.h5: no snapshots (/snapshots/step)"
run grok-pca -t missing.h5
is_exit 1
is_stderr "grok-pca: missing.h5: No such file or directory"
run grok-pca -t -p nope run.h5
is_exit 1
is_stderr "grok-pca: run.h5: no parameter matches -p nope"
run grok-pca -t -s 500 run.h5
is_exit 1
is_stderr "grok-pca: run.h5: a trajectory needs 2 snapshots or more; -s selects 1"
run grok-pca -k 0 run.h5
is_exit 2
is_stderr "grok-pca: -k: bad value '0' (a whole number from 1 to 10000) (see grok-pca --help)"
run grok-pca --window growing run.h5
is_exit 2
is_stderr "grok-pca: --window: 'growing' is not expanding[:N] (see grok-pca --help)"
run grok-pca --null random-walk:0 run.h5
is_exit 2
is_stderr "grok-pca: --null: bad count in 'random-walk:0' (a whole number >= 1) (see grok-pca --help)"
run grok-pca --basis-k -1 run.h5
is_exit 2
is_stderr "grok-pca: --basis-k: bad value '-1' (a whole number from 0 to 10000) (see grok-pca --help)"
run grok-pca --seed x run.h5
is_exit 2
is_stderr "grok-pca: --seed: bad value 'x' (a whole number from 0 to 4294967295) (see grok-pca --help)"
run grok-pca -s 5:1 run.h5
is_exit 2
is_stderr "grok-pca: -s: bad step range '5:1': FROM is after TO (see grok-pca --help)"
run grok-pca -t cubes run.h5
is_exit 2
is_stderr "grok-pca: -t: 'cubes' is not a table of grok-pca (summary, window, proj, spectra) (see grok-pca --help)"
run grok-pca --table=cubes run.h5
is_exit 2
is_stderr "grok-pca: -t: 'cubes' is not a table of grok-pca (summary, window, proj, spectra) (see grok-pca --help)"
run grok-pca --method qr run.h5
is_exit 2
is_stderr "grok-pca: --method: 'qr' is not auto, gram or svd (see grok-pca --help)"
head -c 3000 run.h5 >cut.h5
run grok-pca -t cut.h5
is_exit 1
is_stderr "grok-pca: cut.h5: not a complete HDF5 file"
$PY - <<'EOF'
import h5py, shutil
shutil.copy("run.h5", "nan.h5")
with h5py.File("nan.h5", "r+") as f:
    f["/snapshots/blocks.0.attn.W_Q"][3, 0, 0, 0] = float("nan")
EOF
run grok-pca nan.h5 -o out.h5
is_exit 1
is_stderr "grok-pca: nan.h5: blocks.0.attn.W_Q: the snapshot at step 300 holds a value that is not finite"
run grok-pca -t -s 200:1000 nan.h5
is_exit 1
is_stderr "grok-pca: nan.h5: blocks.0.attn.W_Q: the snapshot at step 300 holds a value that is not finite"
[ ! -e out.h5 ] && [ -z "$(ls -a | grep '^\.out\.h5')" ]
ok $? "a failed grok-pca leaves no output file"

# A run whose snapshot group holds no row (every dataset cut to 0 rows): the driver says so, for
# the analyses that read nothing before the snapshots (grok-commute and grok-align read the model
# first, which this fixture has not).
$PY - <<'EOF'
import h5py, shutil
shutil.copy("run.h5", "norows.h5")
with h5py.File("norows.h5", "r+") as f:
    for d in f["/snapshots"].values():
        d.resize(0, axis=0)
EOF
for prog in grok-pca grok-fourier; do
    run $prog -q -t norows.h5
    is_exit 1
    is_stderr "$prog: norows.h5: /snapshots/step is empty"
done

# /snapshots/step as another writer may leave it. Floats that are whole numbers (numpy's default
# type, which h5py writes as float64) are steps; a fraction, a negative step or steps out of
# order are refused where the snapshots are read, by every program that reads them.
doctored_steps run.h5 float.h5 float64
doctored_steps run.h5 int32.h5 int32
doctored_steps run.h5 back.h5 int64 2=300 3=200
doctored_steps run.h5 same.h5 int64 2=100
doctored_steps run.h5 neg.h5 int64 0=-100
doctored_steps run.h5 frac.h5 float64 1=100.5
doctored_steps run.h5 nanstep.h5 float32 6=nan
doctored_steps run.h5 big.h5 float64 10=1e19
grok-pca -q -t run.h5 | sed 1d >int.tsv
for f in float.h5 int32.h5; do
    run sh -c "grok-pca -q -t $f | sed 1d"
    is_stdout "$(cat int.tsv)" "/snapshots/step as $f: the same table"
done
for prog in grok-pca grok-fourier; do
    run $prog -q -t back.h5
    is_exit 1
    is_stderr "$prog: back.h5: /snapshots/step is not increasing (row 4: 200 after 300)"
done
run grok-pca -q -t same.h5
is_exit 1
is_stderr "grok-pca: same.h5: /snapshots/step is not increasing (row 3: 100 after 100)"
run grok-pca -q -t neg.h5
is_exit 1
is_stderr "grok-pca: neg.h5: /snapshots/step is negative (row 1: -100)"
run grok-pca -q -t frac.h5
is_exit 1
is_stderr "grok-pca: frac.h5: /snapshots/step is not a whole number (row 2: 100.5)"
run grok-fourier -q -t nanstep.h5
is_exit 1
is_stderr "grok-fourier: nanstep.h5: /snapshots/step is not a whole number (row 7: nan)"
run grok-pca -q -t big.h5
is_exit 1
is_stderr "grok-pca: big.h5: /snapshots/step is too large (row 11: 1e+19)"
run grok-pca -q back.h5 -o out.h5
is_exit 1
[ ! -e out.h5 ] && [ -z "$(ls -a | grep '^\.out\.h5')" ]
ok $? "a run refused for its steps leaves no output file"

done_testing
