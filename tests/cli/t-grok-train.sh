#!/bin/sh
# grok-train: it groks, it is deterministic, it resumes exactly (also after SIGINT), it stops on
# a non-finite loss, and bad flags get one line naming the flag.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1

# metric RUN COLUMN: the last value of a /metrics column.
metric() { grok-snap -t metrics "$1" | awk -F'\t' -v c="$2" '
    /^#/ {next} !h {for (i = 1; i <= NF; i++) if ($i == c) k = i; h = 1; next} {v = $k} END {print v}'; }

# ---- a small embedding MLP groks a+b mod 23 in seconds ----
GROKS="--model mlp --p 23 --frac 0.6 --embed 32 --hidden 256 --lr 1e-2 --wd 1 --warmup 0 --eval-every 50 --threads 1"
run grok-train $GROKS --steps 3000 --stop-at 0.99 -q -o groks.h5
is_exit 0
is_stderr_empty
acc=$(metric groks.h5 test_acc)
step=$(metric groks.h5 step)
awk -v a="$acc" 'BEGIN {exit !(a >= 0.99)}'
ok $? "test accuracy $acc >= 0.99 at step $step"
[ "$step" -lt 3000 ]
ok $? "it stopped early (--stop-at) at step $step"
train=$(grok-snap -t metrics groks.h5 | awk -F'\t' '!/^#/ && $1 != "step" && $3 >= 0.99 {print $1; exit}')
[ -n "$train" ] && [ "$train" -lt "$step" ]
ok $? "it memorised (step $train) before it generalised (step $step)"

# ---- determinism: the same flags and seed give the same bytes ----
SMALL="--model mlp --p 11 --frac 0.5 --embed 8 --hidden 32 --batch 16 --eval-every 50 --snapshot-every 40 --threads 1 -q"
mkdir d1 d2
(cd d1 && grok-train $SMALL --steps 230 -o run.h5) && (cd d2 && grok-train $SMALL --steps 230 -o run.h5)
cmp -s d1/run.h5 d2/run.h5
ok $? "two runs with the same flags are byte-identical"
(cd d2 && grok-train $SMALL --steps 230 --seed 1 -o run.h5)
! same_groups d1/run.h5 d2/run.h5 state
ok $? "another --seed gives other parameters"
(cd d2 && grok-train $SMALL --steps 230 --seed 1 --data-seed 0 -o run.h5)
same_groups d1/run.h5 d2/run.h5 data
ok $? "the split stays fixed while the seed varies"

# ---- resume: 117 steps, then on to 230, equals 230 at once ----
grok-train $SMALL --steps 117 -o half.h5
run grok-train --resume half.h5 --steps 230 --threads 1 -q -o resumed.h5
is_exit 0
same_groups d1/run.h5 resumed.h5 config data metrics snapshots state
ok $? "resumed run equals the uninterrupted one (config, data, metrics, snapshots, state)"
[ "$(grok-snap -t metrics resumed.h5 | awk -F'\t' '!/^#/ && $1 != "step" {printf "%s ", $1}')" = "0 50 100 150 200 230 " ]
ok $? "the evaluation at step 117, off the cadence, was dropped"
[ "$(h5dump -d /snapshots/step half.h5 | grep -o '(0): .*')" = "(0): 0, 40, 80, 117" ] &&
    [ "$(h5dump -d /snapshots/step resumed.h5 | grep -o '(0): .*')" = "(0): 0, 40, 80, 120, 160, 200, 230" ]
ok $? "the last step has its snapshot (117, 230), and a continued run drops the one off the cadence"
grok-train --resume d1/run.h5 --threads 1 -q -o again.h5
same_groups d1/run.h5 again.h5 metrics snapshots state
ok $? "resuming a finished run redoes its last evaluation and changes nothing"
grok-train --resume groks.h5 --steps 4000 -q -o still.h5
[ "$(metric still.h5 step)" = "$step" ]
ok $? "a run that reached --stop-at stays stopped when resumed"
grok-train --resume groks.h5 --steps $((step + 100)) --stop-at 0 -q -o more.h5
[ "$(metric more.h5 step)" = $((step + 100)) ]
ok $? "--stop-at 0 on --resume continues it"
run grok-train --resume resumed.h5 --steps 100 -q -o x.h5
is_exit 2
is_stderr "grok-train: --steps 100: resumed.h5 is already at step 230 (see grok-train --help)"

# ---- threads: each takes a slice of the batch; the same count gives the same bytes ----
THREADED=$(echo "$SMALL" | sed 's/--threads 1/--threads 3/')
grok-train $THREADED --steps 117 -o t3-half.h5
mkdir d3 d4
(cd d3 && grok-train $THREADED --steps 230 -o run.h5) && (cd d4 && grok-train $THREADED --steps 230 -o run.h5)
cmp -s d3/run.h5 d4/run.h5
ok $? "--threads 3: two runs are byte-identical"
cp d3/run.h5 t3-a.h5
grok-train --resume t3-half.h5 --steps 230 --threads 3 -q -o t3-resumed.h5
same_groups t3-a.h5 t3-resumed.h5 metrics snapshots state
ok $? "--threads 3: a resumed run equals the uninterrupted one"
[ "$(grok-snap -l t3-half.h5 | awk -F'\t' '$2 == "/config@threads" {print $5}')" = 3 ]
ok $? "/config@threads records the count"
grok-train --resume t3-half.h5 --steps 230 -q -o t3-resumed2.h5
same_groups t3-a.h5 t3-resumed2.h5 config metrics snapshots state
ok $? "... which a resumed run takes when --threads is not given: the same numbers"
awk -F'\t' 'NR == FNR && !/^#/ && $1 == 230 {a = $3} NR != FNR && !/^#/ && $1 == 230 {b = $3}
     END {d = a - b; if (d < 0) d = -d; exit !(a > 0 && d < 1e-3 * a)}' \
    "$(grok-snap -t metrics d1/run.h5 > m1.tsv && echo m1.tsv)" "$(grok-snap -t metrics t3-a.h5 > m3.tsv && echo m3.tsv)"
ok $? "--threads 3 trains as --threads 1 does, up to rounding (train loss at step 230)"

# ---- SIGINT: finish the step, write a resumable run, exit 130 ----
LONG="--model mlp --p 23 --frac 0.5 --embed 16 --hidden 64 --batch 32 --steps 500000 --eval-every 100 --snapshot-every 1000 --threads 1 -q"

# ---- a fault (as a damaged HDF5 file can cause in the library): one line, exit 1, no file ----
# AddressSanitizer keeps these signals to itself, with its report.
if [ -z "${ASAN_OPTIONS:-}" ]; then
    mkdir segv
    grok-train $LONG -o segv/run.h5 2>segv.err &
    pid=$!
    sleep 1
    kill -SEGV $pid
    rc=0
    wait $pid || rc=$?
    [ "$rc" -eq 1 ] && [ -z "$(ls -A segv)" ] &&
        [ "$(cat segv.err)" = "grok-train: damaged HDF5 input: crashed on signal 11 reading it (if the input is sound, it is a bug)" ]
    ok $? "SIGSEGV: one line, exit 1 (got $rc), the temporary file removed"
fi
grok-train $LONG -o int.h5 &
pid=$!
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
[ "$rc" -eq 130 ]
ok $? "SIGINT: exit 130 (got $rc)"
at=$(grok-snap -l int.h5 | awk -F'\t' '$2 == "/state@step" {print $5}')
[ -n "$at" ] && [ "$at" -gt 0 ] && [ "$at" -lt 500000 ]
ok $? "the interrupted run holds its state at step $at"
total=$((${at:-0} + 300))
grok-train --resume int.h5 --steps $total --threads 1 -q -o int-resumed.h5
grok-train $LONG --steps $total -o int-full.h5
same_groups int-full.h5 int-resumed.h5 metrics snapshots state
ok $? "interrupted at step $at and resumed to $total equals the uninterrupted run"

# ---- a non-finite loss stops the run, which keeps its finite evaluations ----
run grok-train --model mlp --p 7 --frac 0.5 --opt sgd --lr 1e30 --steps 50 --eval-every 1 --threads 1 -o nan.h5
is_exit 1
is_stderr "grok-train: the loss is not finite at step 2; the run keeps the evaluations up to step 1"
[ "$(metric nan.h5 step)" = 1 ] && ! grok-snap -l nan.h5 | grep -q '/state'
ok $? "the run keeps steps 0 and 1 and no state"

# ---- the output rule ----
run grok-train $SMALL --steps 100 -t -o both.h5
is_exit 0
[ "$(grep -vc '^#' "$TMP/stdout")" -eq 4 ] && [ -s both.h5 ] && [ "$(metric both.h5 step)" = 100 ]
ok $? "-t with -o FILE: the table on stdout, the run in FILE"
run grok-train $SMALL --steps 100 -t
is_exit 0
[ "$(grep -vc '^#' "$TMP/stdout")" -eq 4 ] && [ "$(sed -n 5p "$TMP/stdout" | cut -f1)" = step ]
ok $? "-t without -o: the table alone on stdout"
run grok-train $SMALL --steps 100 -o table.tsv
is_exit 0
[ "$(sed -n 5p table.tsv)" = "step	train_loss	train_acc	test_loss	test_acc	param_norm	lr" ]
ok $? "-o FILE.tsv writes the metrics table"
grok-train $SMALL --steps 100 | grok-snap -t metrics >piped.tsv
[ "$(grep -vc '^#' piped.tsv)" -eq 4 ]
ok $? "to a pipe the run flows on"

# ---- --init, --freeze, --snapshot, --lr-mult ----
grok-snap --at 200 d1/run.h5 -o state.h5
grok-train $SMALL --steps 0 --init state.h5 -o init.h5
h5dump -d /state/mlp.0.W state.h5 | tail -n +3 >"$TMP/ga"
h5dump -d /state/mlp.0.W init.h5 | tail -n +3 >"$TMP/gb"
cmp -s "$TMP/ga" "$TMP/gb"
ok $? "--init starts from the state's parameters"
run grok-train $SMALL --steps 0 --hidden 16 --init state.h5 -o bad.h5
is_exit 1
is_stderr "grok-train: state.h5: /state/mlp.0.W has the wrong shape for this model"
grok-train $SMALL --steps 80 --freeze embed --snapshot embed,unembed.b_U -o frozen.h5
[ "$(grok-snap -l frozen.h5 | awk -F'\t' '$2 ~ /^\/snapshots\// {printf "%s ", $2}')" = "/snapshots/embed.W_E /snapshots/step /snapshots/unembed.b_U " ]
ok $? "--snapshot selects the snapshot's parameters"
grok-snap --at 0 -t embed.W_E frozen.h5 | grep -v '^#' >"$TMP/w0"
grok-snap --at 80 -t embed.W_E frozen.h5 | grep -v '^#' >"$TMP/w1"
cmp -s "$TMP/w0" "$TMP/w1"
ok $? "--freeze embed keeps embed.W_E unchanged"
run grok-train $SMALL --freeze nothing.here
is_exit 2
is_stderr "grok-train: --freeze 'nothing.here': selects no parameter of the model (see grok-train --help)"

# ---- bad flags and impossible settings: exit 2, one line naming the flag ----
bad() { # bad EXPECTED-STDERR FLAGS...
    want=$1
    shift
    run grok-train "$@"
    is_exit 2
    is_stderr "$want"
}
bad "grok-train: --lr 'abc': not a number (see grok-train --help)" --lr abc
bad "grok-train: unknown option '--bogus' (see grok-train --help)" --bogus
bad "grok-train: --threads -1: must be between 0 and 1024 (see grok-train --help)" --threads -1
bad "grok-train: --threads 'two': not an integer (see grok-train --help)" --threads two
bad "grok-train: --d-model 130 is not divisible by --heads 4 (or give --d-head) (see grok-train --help)" --d-model 130
bad "grok-train: --frac 1.5: the training fraction must be between 0 and 1 (exclusive) (see grok-train --help)" --frac 1.5
bad "grok-train: --frac 0: the training fraction must be between 0 and 1 (exclusive) (see grok-train --help)" --frac 0
bad "grok-train: --p 96: div needs a prime modulus (b has no inverse otherwise) (see grok-train --help)" --op div --p 96
bad "grok-train: --op 'pow': expected one of add sub mul div x2y2 x2xyy2 x3xy rand (see grok-train --help)" --op pow
bad "grok-train: --preset 'nandaa': unknown (nanda, xu, xu-slow, alquabeh, alquabeh-raw, musat, musat-gd, musat-linear, musat-linear3, musat-linear2) (see grok-train --help)" --preset nandaa
bad "grok-train: --steps -5: must be between 0 and 1099511627776 (see grok-train --help)" --steps -5
bad "grok-train: --batch 'half': not an integer (see grok-train --help)" --batch half
bad "grok-train: --hidden '64,,32': expected widths W[,W...] (at most 8 layers) (see grok-train --help)" --model mlp --hidden 64,,32
bad "grok-train: --act quad: the transformer takes relu or gelu (see grok-train --help)" --act quad
bad "grok-train: --lr-mult 'embed': expected GLOB=C (see grok-train --help)" --lr-mult embed
bad "grok-train: --lr-mult 'embed=2,nope=3': 'nope' selects no parameter of the model (see grok-train --help)" --model mlp --p 11 --lr-mult embed=2,nope=3
bad "grok-train: --wd -2: must be at least 0 (see grok-train --help)" --wd -2
bad "grok-train: --beta2 1: must be in [0, 1) (see grok-train --help)" --beta2 1
bad "grok-train: --lr '1e400': out of range (see grok-train --help)" --lr 1e400
run grok-train --model mlp --p 11 --steps 2 --lr-mult embed=1 -q -o mult1.h5
is_exit 0
bad "grok-train: --layers: applies to --model transformer only (see grok-train --help)" --model mlp --layers 2
bad "grok-train: --hidden: applies to --model mlp only (see grok-train --help)" --hidden 64
bad "grok-train: --lr cannot be combined with --resume (the run's /config fixes it) (see grok-train --help)" --resume half.h5 --lr 1
bad "grok-train: unexpected argument 'run.h5' (grok-train reads no input; see --resume and --init) (see grok-train --help)" run.h5
run grok-train --resume missing.h5
is_exit 1
is_stderr "grok-train: missing.h5: No such file or directory"

# ---- the run loads in Python with TransformerLens's names and shapes ----
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    grok-train --preset xu --steps 1 --snapshot-every 1 -q -o xu.h5
    run /usr/bin/python3 - xu.h5 <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
want = {"embed.W_E": (97, 128), "pos_embed.W_pos": (2, 128),
        "blocks.1.ln1.w": (128,), "blocks.0.attn.W_Q": (4, 128, 32), "blocks.0.attn.b_Q": (4, 32),
        "blocks.0.attn.W_O": (4, 32, 128), "blocks.0.attn.b_O": (128,),
        "blocks.1.mlp.W_in": (128, 256), "blocks.1.mlp.W_out": (256, 128),
        "ln_final.w": (128,), "unembed.W_U": (128, 97), "unembed.b_U": (97,)}
for name, shape in want.items():
    assert f["state"][name].shape == shape, (name, f["state"][name].shape)
    assert f["snapshots"][name].shape == (2,) + shape, name
assert f.attrs["format"] in (b"grok-run", "grok-run")
assert f["config"].attrs["d_model"] == 128 and f["snapshots"]["step"][1] == 1
print("ok")
EOF
    is_stdout "ok" "h5py reads the TransformerLens names and shapes"

    # a tampered run is refused with one line, never trusted
    refused() { # refused COPY PYTHON-STATEMENT EXPECTED-STDERR: half.h5 edited through h5py as f
        cp half.h5 "$1"
        /usr/bin/python3 -c "import h5py; f = h5py.File('$1', 'r+'); $2; f.close()"
        run grok-train --resume "$1" -q -o x.h5
        is_exit 1
        is_stderr "$3"
    }
    refused t1.h5 'f["state"].attrs["step"] = -7' \
        "grok-train: t1.h5: /state's step, opt_t or stop_streak is out of range"
    refused t2.h5 'f["config"].attrs["p"] = 2**32 + 11' \
        "grok-train: t2.h5: /config@p 4294967307: must be between 2 and 2048"
    refused t3.h5 'f["config"].attrs["lr_mult"] = "embed=abc"' \
        "grok-train: t3.h5: /config@lr_mult 'embed=abc': C must be a number in [0, 1e6]"
    refused t4.h5 'r = f["state"]["rng"]; v = r[()]; v[624] = -10**8; r[...] = v' \
        "grok-train: t4.h5: /state/rng is not a valid mt19937 state"
    [ ! -e x.h5 ]
    ok $? "no output is left behind"
else
    ok 0 "# SKIP python3-h5py is not installed"
fi

done_testing
