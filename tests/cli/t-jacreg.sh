#!/bin/sh
# grok-train's Jacobian regulariser (GrokAlign): what /config and /metrics record, that a resumed
# run equals an uninterrupted one, that it shrinks ‖J_x‖_F (or holds it at a target), and the
# refusals.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
model="--p 23 --frac 0.5 --d-model 32 --heads 2 --d-mlp 64 --batch 64 --eval-every 10 -q --threads 1"
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }

mlp="--model mlp --p 23 --frac 0.5 --embed 8 --hidden 32 --batch 64 --eval-every 10 -q --threads 1"
for f in "--jac-reg 1e-2" "--jac-reg 1e-2 --jac-target 5 --jac-projections 3" \
         "--jac-reg 1e-2 --jac-projections 0 --norm pre --act gelu" "--jac-reg 1e-3 --grokfast ema:0.98:2 --threads 2" \
         "MLP --jac-reg 1e-2 --act gelu"; do
    m=$model
    case $f in MLP*) m=$mlp f=${f#MLP } ;; esac
    rm -f full.h5 half.h5 resumed.h5
    grok-train $m --steps 30 $f -o full.h5 &&
        grok-train $m --steps 15 $f -o half.h5 &&
        grok-train --resume half.h5 --steps 30 -o resumed.h5 &&
        data full.h5 >a.txt && data resumed.h5 >b.txt && grep -q jac_norm a.txt && cmp -s a.txt b.txt
    ok $? "$([ "$m" = "$mlp" ] && echo mlp || echo transformer) $f: 15 steps and a resume to 30 give the bytes of 30 at once"
done

run grok-train $model --steps 20 --jac-reg 1e-3 --jac-target 5 --grokfast ema:0.9:1 -t -o both.h5
is_exit 0
grep -v '^#' "$TMP/stdout" | head -n 1 | cut -f8- >header
printf 'jac_norm\tgrokfast_norm\n' | cmp -s - header
ok $? "the table has jac_norm, then grokfast_norm"
h5dump -a /config/transforms -a /config/jac_reg -a /config/jac_target both.h5 | grep '(0)' >attrs
printf '   (0): "before clipping: jacreg, grokfast"\n   (0): 0.001\n   (0): 5\n' | cmp -s - attrs
ok $? "/config records the regulariser, its target and the order"
h5dump -a /config/jac_projections both.h5 >/dev/null 2>&1
ok $(( ! $? )) "... and not the projections at their default"
grok-train $model --steps 20 -o plain.h5
data plain.h5 | grep -c 'jac_\|jacreg' >n
echo 0 | cmp -s - n
ok $? "a run without it records none of its settings"

# What it does: a strong regulariser flattens the logits' Jacobian, a target holds it there.
last_norm() { grep -v '^#' | awk -F'\t' 'END { print $8 }'; }
weak=$(grok-train $model --steps 300 --eval-every 100 --jac-reg 1e-6 -t | last_norm)
strong=$(grok-train $model --steps 300 --eval-every 100 --jac-reg 0.1 -t | last_norm)
held=$(grok-train $model --steps 300 --eval-every 100 --jac-reg 0.1 --jac-target 30 -t | last_norm)
awk -v w="$weak" -v s="$strong" 'BEGIN { exit !(s < w / 10) }'
ok $? "λ 0.1 takes mean |J_x|_F to $strong, against $weak with λ 1e-6"
awk -v h="$held" 'BEGIN { exit !(h > 25 && h < 35) }'
ok $? "with the target 30 it stays near 30 ($held)"

# Refusals: one line naming the flag, exit 2.
run grok-train $model --jac-reg -1
is_exit 2
is_stderr "grok-train: --jac-reg -1: must be at least 0 (see grok-train --help)"
run grok-train $model --jac-reg 1e-3 --jac-target -2
is_exit 2
is_stderr "grok-train: --jac-target -2: must be at least 0 (see grok-train --help)"
run grok-train $model --jac-target 5
is_exit 2
is_stderr "grok-train: --jac-target: applies only with --jac-reg (see grok-train --help)"
run grok-train $model --jac-projections 4
is_exit 2
is_stderr "grok-train: --jac-projections: applies only with --jac-reg (see grok-train --help)"
run grok-train $model --jac-reg 1e-3 --jac-projections 2000
is_exit 2
is_stderr "grok-train: --jac-projections 2000: must be between 0 and 1024 (see grok-train --help)"
run grok-train $model --jac-reg nan
is_exit 2
is_stderr "grok-train: --jac-reg 'nan': not a number (see grok-train --help)"
run grok-train --model mlp --embed onehot --jac-reg 1e-3 -o onehot.h5
is_exit 2
is_stderr "grok-train: --jac-reg: the model has no continuous input (its --embed onehot feeds fixed codes): the regulariser needs a learned embedding (see grok-train --help)"
[ ! -e onehot.h5 ]
ok $? "... and leaves no output"

done_testing
