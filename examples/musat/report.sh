#!/bin/sh
# report.sh OUT SETTING: REPORT.md for the P2 study from the tables in OUT/tables (make report).
set -eu
out=$1 setting=$2
. ../lib/table.sh
t=$out/tables
p=$(meta "$t/closed-metrics.tsv" p)
chance2=$(awk -v p="$p" 'BEGIN { print 2 / p }')

cat <<END
# P2 — the geometry of grokking (Musat, arXiv 2511.01938)

Reproduced with grok (\`make report\` in examples/musat; $setting). Every number below is read
from the tables in \`tables/\` by \`report.sh\`; the commands are in the Makefile.

## The toy regressions

One training example x = (1, 1) → 2 (x = (1, 1, 1) → 3 for the three-input toy), 100 test
points x ~ N(0, I); plain gradient descent with weight decay λ from w = (−1, 1). The model fits
the example within a few steps; weight decay then slides it along the zero-loss set to the
point of smallest norm, and the test loss falls with it.

![paths](figures/toy-paths.png)

![losses](figures/toy-losses.png)

| toy | λ | memorised (train loss < 0.01) at | generalised (test loss < 0.1) at | final test loss |
| --- | --- | --- | --- | --- |
END
for toy in linear linear3 linear2; do
    for l in 0.01 0.1 0.2; do
        m=$t/$toy-$l-metrics.tsv
        echo "| $toy | $l | $(first "$m" train_loss '<' 0.01) | $(first "$m" test_loss '<' 0.1) | $(fmt "$(last "$m" test_loss)") |"
    done
done

c=$t/closed-metrics.tsv g=$t/gd-metrics.tsv
cat <<END

## The closed form against gradient descent

p = $p, the unordered pairs a ≤ b, one-hot sums in, a two-layer ReLU network without biases.
The closed form keeps the second layer at the minimum-norm interpolant and moves the first
along dW₁/dt = Xᵀ[(AYYᵀAH) ⊙ σ′(XW₁)] − W₁; gradient descent trains both with a small weight
decay.

![accuracy and loss](figures/closed-form.png)

| measure | closed form | gradient descent |
| --- | --- | --- |
| largest training loss after step 0 | $(fmt "$(max "$c" train_loss 1 | cut -d' ' -f1)") | $(fmt "$(max "$g" train_loss 1 | cut -d' ' -f1)") |
| final training loss | $(fmt "$(last "$c" train_loss)") | $(fmt "$(last "$g" train_loss)") |
| training accuracy 1 from step | $(first "$c" train_acc '>=' 1) | $(first "$g" train_acc '>=' 1) |
| test accuracy above 2/p from step | $(first "$c" test_acc '>' "$chance2") | $(first "$g" test_acc '>' "$chance2") |
| test accuracy ≥ 0.9 from step | $(first "$c" test_acc '>=' 0.9) | $(first "$g" test_acc '>=' 0.9) |
| final test accuracy | $(fmt "$(last "$c" test_acc)") | $(fmt "$(last "$g" test_acc)") |
| parameter norm, first → last | $(fmt "$(at "$c" param_norm 0)") → $(fmt "$(last "$c" param_norm)") | $(fmt "$(at "$g" param_norm 0)") → $(fmt "$(last "$g" param_norm)") |

## Circles in the first layer

grok-fourier on \`mlp.0.W\` (row j the weights of token j): per key frequency, the ratio of the
cos and sin parts' norms (1 on a circle), their cosine (0 on a circle), and how much the
frequencies use hidden units of their own (diag dominance; 0.36 for random vectors).

![circles](figures/circles.png)

END
cf=$t/closed-fourier.tsv gf=$t/gd-fourier.tsv
echo "| measure | closed form | gradient descent |"
echo "| --- | --- | --- |"
echo "| key frequencies (fixed, last snapshot) | $(meta "$cf" 'fixed keys' | sed 's/.*: //' | tr ',' '\n' | grep -c .) | $(meta "$gf" 'fixed keys' | sed 's/.*: //' | tr ',' '\n' | grep -c .) |"
for col in circle_ratio circle_cos diag_dominance; do
    echo "| $col, first → last | $(fmt "$(at "$cf" $col 0)") → $(fmt "$(last "$cf" $col)") | $(fmt "$(at "$gf" $col 0)") → $(fmt "$(last "$gf" $col)") |"
done

m=$t/m17-manifold.tsv gm=$t/g17-manifold.tsv
read -r mc ms <<END2
$(max "$m" cos_decay)
END2
read -r gc gs <<END2
$(max "$gm" cos_decay)
END2
cat <<END

## Motion along the zero-loss set

grok-align --manifold on p = 17 (128 units; its Jacobian of 1819 rows is small enough for an
SVD): the cosine between each update (one snapshot to the next) and the projection of −θ onto
the null space of the training outputs' Jacobian, and the share of the update inside that
space.

![manifold](figures/manifold.png)

- Closed form: the cosine is largest, $(fmt "$mc"), over the interval from step $ms; the tangent
  share stays between $(fmt "$(column "$m" tangent_share | awk 'NR == 1 || $2 < m { m = $2 } END { print m }')") and $(fmt "$(max "$m" tangent_share | cut -d' ' -f1)").
- Gradient descent: the cosine peaks at $(fmt "$gc") over the interval from step $gs (training
  accuracy 1 from step $(first "$t/g17-metrics.tsv" train_acc '>=' 1), test accuracy above 2/17 from step
  $(first "$t/g17-metrics.tsv" test_acc '>' 0.1176), ≥ 0.9 from step $(first "$t/g17-metrics.tsv" test_acc '>=' 0.9)); the
  tangent share is $(fmt "$(at "$gm" tangent_share 0)") over the first interval and
  $(fmt "$(last "$gm" tangent_share)") over the last.
END
