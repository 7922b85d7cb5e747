#!/bin/sh
# grok-fourier: what a user sees (stdout, the exact stderr line, the exit code), good and bad;
# the numbers against numpy's FFT; known circles planted in a real run come out.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
grok-fixture --foreign foreign.h5
PY=/usr/bin/python3
# A small real run (p = 23), one without snapshots, one with attention snapshots only, and a
# one-hot MLP.
grok-train --p 23 --d-model 16 --heads 2 --d-mlp 32 --steps 200 --snapshot-every 50 \
    --eval-every 50 -q -o small.h5
grok-train --p 7 --d-model 8 --heads 2 --d-mlp 16 --steps 5 --snapshot-every 0 -q -o nosnap.h5
grok-train --p 7 --d-model 8 --heads 2 --d-mlp 16 --steps 4 --snapshot-every 2 \
    --snapshot 'blocks.*' -q -o attn.h5
grok-train --model mlp --p 11 --embed onehot --hidden 32 --steps 8 --snapshot-every 4 -q -o onehot.h5

rounded() { awk -F'\t' 'BEGIN{OFS="\t"} /^#/ || $1=="step" {print; next}
    {for (i = 1; i <= NF; i++) if ($i ~ /^-?[0-9]+\.[0-9]/) $i = sprintf("%.6f", $i); print}' "$@"; }

# ---- the summary table ----
run grok-fourier -t run.h5
is_exit 0
is_stderr_empty
rounded "$TMP/stdout" | sed -n '1,9p;$p' >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "# run: run.h5
# p: 7
# snapshots: 11 (steps 0 to 1000)
# keys: the frequencies with more than 0.05 of the power
# fixed keys: embed.W_E at step 1000: 1
# fixed keys: unembed.W_U at step 1000: 1,2,3
step	matrix	gini	key_share	keys	fixed_key_share	circle_ratio	circle_cos	diag_dominance
0	embed.W_E	0.490567	0.973611	1	0.973611	0.235265	0.429083	nan
0	unembed.W_U	0.188666	1	1,2,3	1	1.412622	0.988231	0.011448
1000	unembed.W_U	0.189068	1	1,2,3	1	1.389494	0.983463	0.016437" \
    "-t: one row per snapshot and matrix, embed.W_E and unembed.W_U by default (one key: no diagonal dominance)"

run grok-fourier -t -p embed.W_E --keys 1 -s 200:600 run.h5
is_exit 0
grep -v '^#' "$TMP/stdout" | awk -F'\t' '{print $1 "\t" $2 "\t" $5 "\t" (NR == 1 ? "same_share" : $4 == $6)}' >"$TMP/r"
cp "$TMP/r" "$TMP/stdout"
is_stdout "step	matrix	keys	same_share
200	embed.W_E	1	1
300	embed.W_E	1	1
400	embed.W_E	1	1
500	embed.W_E	1	1
600	embed.W_E	1	1" "-p, -s and --keys choose the matrix, the snapshots and the number of keys (one here, the same throughout)"
run sh -c "grok-fourier -t --keys 2 small.h5 | grep -c '^# fixed keys: embed.W_E at step 200: [0-9]*,[0-9]*\$'"
is_stdout "1" "--keys 2: two fixed keys, from the last snapshot"
run sh -c "grok-fourier -t --keys 2 --key-step 60 small.h5 | grep '^# fixed keys: embed' | cut -d: -f2"
is_stdout " embed.W_E at step 50" "--key-step: the keys of the nearest snapshot"

# ---- the spectrum table ----
run grok-fourier -t spectrum run.h5
is_exit 0
sed -n '7,11p' "$TMP/stdout" | rounded >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "step	matrix	k	norm	cos	sin
0	embed.W_E	0	0.148178	0.148178	0
0	embed.W_E	1	2.045652	0.468480	1.991286
0	embed.W_E	2	0.274701	0.190641	0.197780
0	embed.W_E	3	0.194845	0.188148	0.050643" "-t spectrum: step, matrix, k and the folded norms (k = 0..3 for p = 7)"
run sh -c "grok-fourier -t spectrum run.h5 | grep -vc '^#'"
is_stdout "89" "a row per snapshot, matrix and frequency: 11 x 2 x 4, and the header"

# ---- the run ----
cp run.h5 before.h5
run sh -c "grok-fourier run.h5 | grok-snap -l | cut -f2 | grep '^/fourier' | grep -v unembed | sort"
is_stdout "/fourier/embed.W_E/circle_cos
/fourier/embed.W_E/circle_ratio
/fourier/embed.W_E/diag_dominance
/fourier/embed.W_E/fixed_key_share
/fourier/embed.W_E/gini
/fourier/embed.W_E/key_share
/fourier/embed.W_E/keys
/fourier/embed.W_E/similarity
/fourier/embed.W_E/spectrum
/fourier/embed.W_E/spectrum_cos
/fourier/embed.W_E/spectrum_sin
/fourier/embed.W_E/step
/fourier/embed.W_E/top_keys
/fourier/embed.W_E@d
/fourier/embed.W_E@keys
/fourier/embed.W_E@source
/fourier/k
/fourier/step
/fourier@key_share
/fourier@key_step
/fourier@keys
/fourier@matrices
/fourier@normalisation
/fourier@p
/fourier@steps" "to a pipe: the run with /fourier"
cmp -s run.h5 before.h5
ok $? "the input run is untouched"
run sh -c "grok-fourier run.h5 | grok-snap -l | grep '/fourier/unembed.W_U@source' | cut -f5"
is_stdout "unembed.W_U [8, 7] transposed: token j is column j" "unembed.W_U is read transposed"
run sh -c "grok-fourier run.h5 | grok-snap -l | grep -c '^dataset	/snapshots/'"
is_stdout "5" "the output keeps the snapshots"
run sh -c "grok-fourier run.h5 | grok-fourier -p unembed.W_U | grok-snap -l | grep -c '/fourier/embed'"
is_stdout "0" "a second grok-fourier replaces /fourier"
run sh -c "grok-fourier -s 0:300 run.h5 | grok-snap -t /fourier/embed.W_E | grep -v '^#' | cut -f1,2"
rounded "$TMP/stdout" >"$TMP/r"; cp "$TMP/r" "$TMP/stdout"
is_stdout "step	gini
0	0.490567
100	0.486980
200	0.484474
300	0.483017" "grok-snap -t prints a matrix's columns over the snapshots"
run grok-fourier onehot.h5 -o onehot-f.h5
is_exit 0
run sh -c "grok-snap -l onehot-f.h5 | grep '/fourier@matrices' | cut -f5"
is_stdout "mlp.0.W,unembed.W_U" "a one-hot MLP: its first layer stands for the embedding"

grok-fourier --key-share 0.1 small.h5 >a.h5
grok-fourier --key-share 0.1 small.h5 >b.h5
cmp -s a.h5 b.h5
ok $? "same flags, same bytes"

# ---- the numbers, against numpy ----
grok-fourier --keys 5 small.h5 -o small-f.h5
grok-fourier small.h5 -o small-share.h5
run $PY - <<'EOF'
import h5py, numpy as np
err = 0
for fname, rule in (("small-f.h5", 5), ("small-share.h5", 0.05)):
    f = h5py.File(fname, "r")
    p = int(f["/config"].attrs["p"]); K = p // 2 + 1
    assert list(f["/fourier/k"][...]) == list(range(K))
    for name in f["/fourier"].attrs["matrices"].decode().split(","):
        S = f["/snapshots/" + name][...].astype(np.float64)
        g = f["/fourier/" + name]
        keys = list(g["keys"][...])
        for t in range(S.shape[0]):
            E = S[t].T[:p] if name.endswith("W_U") else S[t][:p]
            F = np.fft.fft(E, axis=0)[:K] / p
            fold = np.where((np.arange(K) == 0) | (2 * np.arange(K) == p), 1.0, 2.0)
            c = np.sqrt(fold * (F.real ** 2).sum(1)); s = np.sqrt(fold * (F.imag ** 2).sum(1))
            n = np.hypot(c, s)
            err = max(err, abs(n - g["spectrum"][t]).max(), abs(c - g["spectrum_cos"][t]).max(),
                      abs(s - g["spectrum_sin"][t]).max())
            x = np.sort(n[1:]); m = len(x)
            err = max(err, abs(((2 * np.arange(1, m + 1) - m - 1) * x).sum() / (m * x.sum()) - g["gini"][t]))
            pw = n ** 2 / (n[1:] ** 2).sum()
            order = sorted(range(1, K), key=lambda k: (-n[k], k))
            top = order[:rule] if rule >= 1 else [k for k in order if pw[k] > rule] or order[:1]
            got = [k for k in g["top_keys"][t] if k >= 0]
            assert got == sorted(top), (fname, name, t, top, got)
            err = max(err, abs(pw[top].sum() - g["key_share"][t]), abs(pw[keys].sum() - g["fixed_key_share"][t]))
            if t == S.shape[0] - 1:
                assert keys == sorted(top), (keys, top)
            R = F.real[keys]; I = F.imag[keys]
            nr = np.linalg.norm(R, axis=1); ni = np.linalg.norm(I, axis=1)
            A = np.abs(R) / nr[:, None]; sim = A @ A.T; nk = len(keys)
            dom = np.trace(sim) / nk - (sim.sum() - np.trace(sim)) / (nk * (nk - 1)) if nk > 1 else np.nan
            err = max(err, abs(nr / ni - g["circle_ratio"][t]).max(),
                      abs((R * I).sum(1) / (nr * ni) - g["circle_cos"][t]).max(),
                      abs(sim - g["similarity"][t]).max(), abs(dom - g["diag_dominance"][t]) if nk > 1 else 0)
print("ok" if err < 1e-12 else "max error %g" % err)
EOF
is_stdout "ok" "spectrum, Gini, keys (--keys 5 and the default --key-share 0.05), shares and circle measures equal numpy's"

# ---- known circles, planted in a real run ----
# embed.W_E of small.h5 (p = 23, d_model 16) replaced at every snapshot by circles at k = 3 and 8
# in coordinates (0, 1) and (2, 3), plus noise of 1e-4; unembed.W_U left as it is.
$PY - <<'EOF'
import h5py, numpy as np, shutil
shutil.copy("small.h5", "circles.h5")
rng = np.random.default_rng(1)
with h5py.File("circles.h5", "r+") as f:
    W = f["/snapshots/embed.W_E"]
    j = np.arange(23)
    for t in range(W.shape[0]):
        E = 1e-4 * rng.standard_normal(W.shape[1:])
        for i, k in enumerate((3, 8)):
            E[:23, 2 * i] += np.cos(2 * np.pi * k * j / 23)
            E[:23, 2 * i + 1] += np.sin(2 * np.pi * k * j / 23)
        W[t] = E
EOF
run sh -c "grok-fourier -p embed.W_E --key-share 0.05 -t circles.h5 | grep -v '^#' | cut -f2,4-9 |
    awk -F'\t' 'BEGIN{OFS=\"\t\"} NR > 1 {for (i = 2; i <= NF; i++) if (i != 3) \$i = sprintf(\"%.3f\", \$i)} 1' | sort -u"
is_stdout "embed.W_E	1.000	3,8	1.000	1.000	0.000	1.000
matrix	key_share	keys	fixed_key_share	circle_ratio	circle_cos	diag_dominance" \
    "planted circles at k = 3 and 8: the keys exactly, ratio 1, cosine 0, diagonal dominance 1"
run sh -c "grok-fourier -p embed.W_E --keys 2 -t circles.h5 | awk -F'\t' '!/^#/ && \$1 != \"step\" {print (\$3 > 0.8 && \$3 < 10/11)}' | sort -u"
is_stdout "1" "their Gini is near (n-1)/n for n = 11 frequencies"

# ---- bad input ----
run grok-fourier -t foreign.h5
is_exit 1
is_stderr "grok-fourier: foreign.h5: not a grok run (an HDF5 file without format = \"grok-run\")"
run grok-fourier -t nosnap.h5
is_exit 1
is_stderr "grok-fourier: nosnap.h5: no snapshots (/snapshots/step)"
# A missing input after a bare -t is the input, not a table kind; a table kind is taken even
# when a file of that name exists.
run grok-fourier -t missing.h5
is_exit 1
is_stderr "grok-fourier: missing.h5: No such file or directory"
: >spectrum
run sh -c "grok-fourier -t spectrum -s 0 run.h5 | grep -v '^#' | head -1"
is_stdout "step	matrix	k	norm	cos	sin" "-t spectrum is the table kind even beside a file named spectrum"
rm -f spectrum
run grok-fourier attn.h5 -o out.h5
is_exit 1
is_stderr "grok-fourier: attn.h5: no embedding snapshots (embed.W_E or unembed.W_U); -p names another matrix"
run grok-fourier -p pos_embed.W_pos run.h5 -o out.h5
is_exit 1
is_stderr "grok-fourier: run.h5: pos_embed.W_pos [3, 8] has no token axis of p = 7 (p to p+2 rows, or p columns for a W_U)"
run grok-fourier -t -p 'blocks.*' run.h5
is_exit 1
is_stderr "grok-fourier: run.h5: blocks.0.attn.W_Q [2, 8, 4] is not a matrix of token vectors"
run grok-fourier -t -p nope run.h5
is_exit 1
is_stderr "grok-fourier: run.h5: no parameter matches -p nope"
run grok-fourier -t -s 5000 run.h5
is_exit 1
is_stderr "grok-fourier: run.h5: -s 5000 selects no snapshot"
run grok-fourier --keys 0 run.h5
is_exit 2
is_stderr "grok-fourier: --keys: bad value '0' (a whole number from 1 to 2048) (see grok-fourier --help)"
run grok-fourier --keys 3 --key-share 0.1 run.h5
is_exit 2
is_stderr "grok-fourier: --keys and --key-share: give one of them (see grok-fourier --help)"
run grok-fourier --key-share 1 run.h5
is_exit 2
is_stderr "grok-fourier: --key-share: bad value '1' (a share from 0 to below 1) (see grok-fourier --help)"
run grok-fourier -t cubes run.h5
is_exit 2
is_stderr "grok-fourier: -t: 'cubes' is not a table of grok-fourier (summary, spectrum, progress, neurons, coefficients, weights) (see grok-fourier --help)"
head -c 3000 run.h5 >cut.h5
run grok-fourier -t cut.h5
is_exit 1
is_stderr "grok-fourier: cut.h5: not a complete HDF5 file"
$PY - <<'EOF'
import h5py, shutil
shutil.copy("run.h5", "nan.h5")
with h5py.File("nan.h5", "r+") as f:
    f["/snapshots/unembed.W_U"][4, 2, 3] = float("nan")
EOF
run grok-fourier nan.h5 -o out.h5
is_exit 1
is_stderr "grok-fourier: nan.h5: unembed.W_U: the snapshot at step 400 holds a value that is not finite"
run grok-fourier -t nan.h5 -o out.tsv
is_exit 1
[ ! -e out.h5 ] && [ ! -e out.tsv ] && [ -z "$(ls -a | grep '^\.out\.')" ]
ok $? "a failed grok-fourier leaves no output file"

done_testing
