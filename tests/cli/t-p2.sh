#!/bin/sh
# Musat's geometry of grokking (P2): the regression toys against gradient descent's analytic
# path, grok-align --manifold against the linear toy's known null space, the closed-form
# dynamics (training loss at round-off, resumable, /config), grok-snap's trajectory table,
# grok-fourier on the first layer, and the refusals.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
rows() { grep -v '^#' | sed 1d; }

# The linear toy: y = w·x on the one sample x = (1, 1), y = 2, from w = (-1, 1), plain gradient
# descent with L2 decay: w ← (I − η(2xxᵀ + λI)) w + 2ηxy. Along u = (1, 1)/√2 it converges at
# rate 1 − η(4 + λ) to 4√2/(4 + λ), along v = (1, −1)/√2 at rate 1 − ηλ to 0.
grok-train --preset musat-linear --steps 400 -q -o lin.h5
ok $? "grok-train --preset musat-linear writes a run"
grok-snap -t snapshots lin.h5 >path.tsv
head -n 2 path.tsv | tail -n 1 >header
printf 'step\tunembed.W_U[0,0]\tunembed.W_U[1,0]\n' | cmp -s - header
ok $? "grok-snap -t snapshots: a column per parameter number"
rows <path.tsv | awk -F'\t' -v eta=0.05 -v lam=0.1 '
    { s = sqrt(2); a = 4 * s / (4 + lam) * (1 - (1 - eta * (4 + lam)) ^ $1); b = -s * (1 - eta * lam) ^ $1
      w1 = (a + b) / s; w2 = (a - b) / s
      e = ($2 - w1) ^ 2 + ($3 - w2) ^ 2; if (e > worst) worst = e; n++ }
    END { exit !(n == 41 && sqrt(worst) < 1e-5) }'
ok $? "the toy's trajectory is gradient descent's closed form at all 41 snapshots (to 1e-5)"
grok-snap -t metrics lin.h5 | rows | awk -F'\t' '$1 == 400 { exit !($2 < 0.003 && $4 < 0.1) } ' 
ok $? "after 400 steps the training loss sits at weight decay's floor and the test loss has fallen"

# grok-align --manifold on it: J = xᵀ, rank 1, the null space v; −θ projects to −(θ·v)v, so the
# cosine with the update d is −sign(θ·v)(d·v)/|d|, and |P d|/|d| = |d·v|/|d|.
run grok-align --manifold -t lin.h5
is_exit 0
rows <"$TMP/stdout" >manifold.tsv
rows <path.tsv | awk -F'\t' '
    NR == FNR { t[NR] = $1; x[NR] = $2; y[NR] = $3; n = NR; next }
    { i = FNR; dx = x[i + 1] - x[i]; dy = y[i + 1] - y[i]; d = sqrt(dx * dx + dy * dy)
      tv = (x[i] - y[i]) / sqrt(2); dv = (dx - dy) / sqrt(2)
      c = (tv > 0 ? -1 : 1) * dv / d; sh = (dv < 0 ? -dv : dv) / d
      if ($1 != t[i] || $2 != t[i + 1] || $3 != 1) bad++
      e = ($4 - c) ^ 2 + ($5 - sh) ^ 2; if (e > worst) worst = e; m++ }
    END { exit !(m == n - 1 && !bad && sqrt(worst) < 1e-4) }' - manifold.tsv
ok $? "--manifold: rank 1, and the cosine and tangent share of the null space x⊥ at all 40 steps"
awk -F'\t' '$1 >= 100 && $4 < 0.999 { bad++ } END { exit bad > 0 }' manifold.tsv
ok $? "once memorised, every update follows the decay's pull along the zero-loss line (cos > 0.999)"
grok-align --manifold lin.h5 -o lin-m.h5 && h5dump -a /manifold/rows -a /manifold/params lin-m.h5 | grep -c '(0): [12]$' >n
echo 2 | cmp -s - n
ok $? "/manifold records J's rows (1) and parameters (2)"

# The two-layer linear toy ŷ = v (w·x) slides along its zero-loss set v (w₁ + w₂) = 2 towards its
# smallest point w₁ = w₂ = 2^(-1/4) = 0.841, v = 2^(1/4) = 1.189 (weight decay keeps it just short).
grok-train --preset musat-linear2 -q | grok-snap -t snapshots | rows | tail -n 1 |
    awk -F'\t' '{ exit !($2 > 0.8 && $2 < 0.85 && $3 > 0.8 && $3 < 0.85 && $4 > 1.15 && $4 < 1.2) }'
ok $? "musat-linear2 ends near the zero-loss set's smallest point (w1 = w2 = 0.84, v = 1.19)"

# The closed form on a small case: p 11, the 66 unordered pairs, 46 to train on, 64 units.
cf="--model mlp --p 11 --frac 0.7 --pairs unordered --ctx ab --embed onehot-sum --hidden 64 --bias none
    --loss mse --opt sgd --lr 1e-3 --warmup 0 --dynamics closed-form --eval-every 10 --snapshot-every 10 --threads 1 -q"
grok-train $cf --steps 60 -t -o cf.h5 | rows | awk -F'\t' '$2 > 1e-10 || $3 != 1 { bad++ } END { exit bad > 0 || NR != 7 }'
ok $? "closed form: the training loss at round-off and every training pair right at all 7 evaluations"
h5dump -a /config/dynamics -a /config/pairs -a /config/bias -a /config/embed cf.h5 | grep '(0)' >attrs
printf '   (0): "closed-form"\n   (0): "unordered"\n   (0): "none"\n   (0): "onehot-sum"\n' | cmp -s - attrs
ok $? "/config records the dynamics, the pairs, the biases and the input"
grok-snap -l cf.h5 | grep -c 'snapshots/mlp.0.W\|snapshots/unembed.W_U\|mlp.0.b\|b_U' >n
echo 2 | cmp -s - n
ok $? "the snapshots hold mlp.0.W and unembed.W_U and no bias"
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }
grok-train $cf --steps 30 -o half.h5 && grok-train --resume half.h5 --steps 60 -o resumed.h5 &&
    data cf.h5 >a.txt && data resumed.h5 >b.txt && cmp -s a.txt b.txt
ok $? "closed form: 30 steps and a resume to 60 give the bytes of 60 at once"
grok-train $cf --dynamics gd --lr 20 --wd 1e-5 --steps 60 -o gd.h5
ok $? "the same network by gradient descent (--dynamics gd)"
grok-fourier -t cf.h5 | rows | cut -f2 | sort -u >mats
printf 'mlp.0.W\nunembed.W_U\n' | cmp -s - mats
ok $? "grok-fourier reads the first layer (rows are tokens) and the second by default"
grok-align --manifold -s 0:20 -t cf.h5 | rows | awk -F'\t' '$3 < 1 || $3 > 46 * 11 { bad++ } END { exit bad > 0 || NR != 2 }'
ok $? "--manifold on the closed form: a rank within J's 506 rows, two updates"

# Refusals: one line naming the flag and exit 2; bad data exit 1.
run grok-train $cf --hidden 40 -o narrow.h5
is_exit 2
is_stderr "grok-train: --hidden 40: the closed form needs more hidden units than the 46 training examples (H Hᵀ must be invertible) (see grok-train --help)"
[ ! -e narrow.h5 ]
ok $? "... and leaves no output"
run grok-train $cf --batch 16
is_exit 2
is_stderr "grok-train: --batch: not with --dynamics closed-form, which moves the first layer by its formula on the whole training set (see grok-train --help)"
run grok-train --model mlp --dynamics closed-form
is_exit 2
is_stderr "grok-train: --dynamics closed-form: the closed form is of a bias-less MLP with one hidden layer on fixed codes, by the squared error (--hidden W --bias none --embed onehot-sum|onehot|raw --loss mse) (see grok-train --help)"
run grok-train --model mlp --op sub --pairs unordered
is_exit 2
is_stderr "grok-train: --pairs unordered: sub depends on the order of its operands (see grok-train --help)"
run grok-train --model mlp --pairs unordered --split uniform
is_exit 2
is_stderr "grok-train: --pairs unordered: not with --split (see grok-train --help)"
run grok-train --bias none
is_exit 2
is_stderr "grok-train: --bias: applies to --model mlp (see grok-train --help)"
run grok-train --task regress-sum:0
is_exit 2
is_stderr "grok-train: --task 'regress-sum:0': N must be a whole number from 1 to 64 (see grok-train --help)"
run grok-train --task sum
is_exit 2
is_stderr "grok-train: --task 'sum': expected modular or regress-sum:N (see grok-train --help)"
run grok-train --model mlp --task regress-sum:2
is_exit 2
is_stderr "grok-train: --task regress-sum:2: the model reads the N numbers themselves (--embed raw) (see grok-train --help)"
run grok-train --preset musat-linear --stop-at 0.9
is_exit 2
is_stderr "grok-train: --stop-at: not with --task regress-sum:2 (a full-batch regression, without tokens or accuracy) (see grok-train --help)"
run grok-train --act leaky
is_exit 2
is_stderr "grok-train: --act leaky: the transformer takes relu or gelu (see grok-train --help)"
run grok-train --model mlp --hidden none,3
is_exit 2
is_stderr "grok-train: --hidden 'none,3': expected widths W[,W...] (at most 8 layers) (see grok-train --help)"
run grok-align --manifold --rank-tol 2 lin.h5
is_exit 2
is_stderr "grok-align: --rank-tol '2': a number above 0 and below 1 (see grok-align --help)"
run grok-train --preset musat-linear --noise 0.1 --basis lin.h5
is_exit 2
is_stderr "grok-train: --basis: not with --task regress-sum:2 (a full-batch regression, without tokens or accuracy) (see grok-train --help)"
run grok-align -t lin.h5
is_exit 1
is_stderr "grok-align: lin.h5: a regression (/config@task regress-sum:2) has no token pairs for this analysis"
run grok-train --preset musat-linear --init-values 1,2,3
is_exit 2
is_stderr "grok-train: --init-values: 3 values for a model of 2 parameters (see grok-train --help)"
run grok-train --preset musat-linear --init-values 1,x
is_exit 2
is_stderr "grok-train: --init-values '1,x': 'x' is not a finite number (see grok-train --help)"
run grok-align --rank-tol 1e-6 lin.h5
is_exit 2
is_stderr "grok-align: --rank-tol: applies only with --manifold (see grok-align --help)"
run grok-align --manifold --sample 3 lin.h5
is_exit 2
is_stderr "grok-align: --sample: belongs to the alignment, not to --manifold (see grok-align --help)"
run grok-align --manifold -s 0:5 lin.h5
is_exit 1
is_stderr "grok-align: lin.h5: --manifold needs two snapshots in the range of -s (the update from one to the next)"
grok-train --model mlp --p 23 --frac 0.7 --hidden 512 --steps 1 --snapshot-every 1 -q -o wide.h5
run grok-align --manifold -t wide.h5
is_exit 1
is_stderr "grok-align: wide.h5: --manifold: J of 8510 rows (370 training examples x 23 outputs) by 211991 parameters is past the limit of 16777216 entries and 4096 on its shorter side (small models only)"
run grok-snap -t snapshots wide.h5
is_exit 1
is_stderr "grok-snap: wide.h5: -t snapshots: the parameters hold 211991 numbers, more than 4096 columns (choose fewer with -p)"

done_testing
