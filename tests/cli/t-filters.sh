#!/bin/sh
# grok-train's gradient filters (Grokfast, ⊥Grad): what /config and /metrics record, that a
# resumed run equals an uninterrupted one, that each does what its paper says on a small task,
# and the refusals.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
model="--p 23 --frac 0.5 --d-model 32 --heads 2 --d-mlp 64 --batch 64 --clip 1 --eval-every 10 -q --threads 1"
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }

for f in "--grokfast ema:0.98:2" "--grokfast ma:7:5" "--ortho-grad" "--ortho-grad=plain --grokfast ema:0.9:1"; do
    grok-train $model --steps 40 $f -o full.h5
    grok-train $model --steps 20 $f -o half.h5
    grok-train --resume half.h5 --steps 40 -o resumed.h5
    data full.h5 >a.txt
    data resumed.h5 >b.txt
    cmp -s a.txt b.txt
    ok $? "$f: 20 steps and a resume to 40 give the bytes of 40 at once"
done

run grok-train $model --steps 20 --grokfast ma:15:5 --ortho-grad -t -o both.h5
is_exit 0
grep -v '^#' "$TMP/stdout" | head -n 1 | cut -f8- >header
printf 'grokfast_norm\tortho_parallel\n' | cmp -s - header
ok $? "the table has grokfast_norm and ortho_parallel"
h5dump -a /config/transforms -a /config/grokfast -a /config/ortho_grad both.h5 | grep '(0)' >attrs
printf '   (0): "before clipping: grokfast, orthograd"\n   (0): "ma:15:5"\n   (0): "rescale"\n' | cmp -s - attrs
ok $? "/config records the filters and their order"
grok-snap -t metrics both.h5 | awk -F'\t' '!/^#/ && $1 != "step" { print $1, ($8 == "nan" || $8 == 0) ? $8 : "added" }' >warm
printf '0 nan\n10 0\n20 added\n' | cmp -s - warm
ok $? "ma: nothing is added before the window of 15 is full, then the mean is"
grok-train $model --steps 20 -o plain.h5
data plain.h5 | grep -c 'grokfast\|ortho_grad\|transforms' >n
echo 0 | cmp -s - n
ok $? "a run without filters records none of their settings"

# What the methods are for, on a small Xu model that groks in seconds.
small="--preset xu --p 23 --frac 0.6 --d-model 32 --heads 2 --d-mlp 64 --batch 128 --lr 3e-3 --threads 1 -q -t"
tgrok() { awk -F'\t' '!/^#/ && $1 != "step" && $5 >= 0.9 { print $1; exit }'; }
plain=$(grok-train $small --steps 2500 --eval-every 50 | tgrok)
fast=$(grok-train $small --steps 2500 --eval-every 50 --grokfast ema:0.98:2 | tgrok)
[ -n "$plain" ] && [ -n "$fast" ] && [ "$fast" -lt "$plain" ]
ok $? "Grokfast's EMA groks sooner (step ${fast:-never} against ${plain:-never})"
grok-train $small --steps 500 --eval-every 500 --wd 0 | awk -F'\t' '!/^#/ && $1 == 500 { print $2, $6 }' >nlm
grok-train $small --steps 500 --eval-every 500 --wd 0 --ortho-grad | awk -F'\t' '!/^#/ && $1 == 500 { print $2, $6 }' >orth
paste -d' ' nlm orth | awk '{ exit !($3 > 100 * $1 && $4 < $2) }'
ok $? "without weight decay, ⊥Grad keeps the loss from collapsing and the weights from growing ($(cat nlm) against $(cat orth))"

# Refusals: one line naming the flag, exit 2.
run grok-train $model --grokfast ema:1:2
is_exit 2
is_stderr "grok-train: --grokfast 'ema:1:2': ALPHA must be in [0, 1) (see grok-train --help)"
run grok-train $model --grokfast ma:0:5
is_exit 2
is_stderr "grok-train: --grokfast 'ma:0:5': WINDOW must be a whole number from 1 to 100000 (see grok-train --help)"
run grok-train $model --grokfast ema:0.9:-1
is_exit 2
is_stderr "grok-train: --grokfast 'ema:0.9:-1': LAMBDA must be at least 0 (see grok-train --help)"
run grok-train $model --grokfast median:3
is_exit 2
is_stderr "grok-train: --grokfast 'median:3': expected ema:ALPHA:LAMBDA or ma:WINDOW:LAMBDA (see grok-train --help)"
run grok-train $model --grokfast ma:100000:2 -o big.h5
is_exit 2
is_stderr "grok-train: --grokfast ma:100000:2: a window of 100000 gradients of 10039 parameters is 3.7 GiB, more than 2 GiB (see grok-train --help)"
[ ! -e big.h5 ]
ok $? "... and leaves no output"
run grok-train $model --ortho-grad=sideways
is_exit 2
is_stderr "grok-train: --ortho-grad 'sideways': expected one of rescale plain (see grok-train --help)"

done_testing
