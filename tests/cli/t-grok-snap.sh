#!/bin/sh
# grok-snap: what a user sees (stdout, the exact stderr line, the exit code), good and bad.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
grok-fixture --no-metrics nometrics.h5
grok-fixture --foreign foreign.h5

# ---- listing ----
run grok-snap -l run.h5
is_exit 0
is_stderr_empty
grep -v '@history' "$TMP/stdout" >"$TMP/list"
cp "$TMP/list" "$TMP/stdout"
is_stdout "# run: run.h5
kind	path	type	shape	value
attribute	/@format	string	scalar	grok-run
attribute	/@format_version	int64	scalar	1
attribute	/config@d_model	int64	scalar	8
attribute	/config@lr	float64	scalar	0.001
attribute	/config@model	string	scalar	transformer
attribute	/config@op	string	scalar	add
attribute	/config@p	int64	scalar	7
attribute	/config@seed	int64	scalar	42
attribute	/config@steps	int64	scalar	1000
attribute	/config@wd	float64	scalar	1
dataset	/data/test	int32	17x2	
dataset	/data/test_y	int32	17	
dataset	/data/train	int32	32x2	
dataset	/data/train_y	int32	32	
dataset	/metrics/lr	float64	11	
dataset	/metrics/param_norm	float64	11	
dataset	/metrics/step	int64	11	
dataset	/metrics/test_acc	float64	11	
dataset	/metrics/test_loss	float64	11	
dataset	/metrics/train_acc	float64	11	
dataset	/metrics/train_loss	float64	11	
dataset	/snapshots/blocks.0.attn.W_Q	float32	11x2x8x4	
dataset	/snapshots/embed.W_E	float32	11x8x8	
dataset	/snapshots/pos_embed.W_pos	float32	11x3x8	
dataset	/snapshots/step	int64	11	
dataset	/snapshots/unembed.W_U	float32	11x8x7	
attribute	/state@step	int64	scalar	1000
dataset	/state/blocks.0.attn.W_Q	float32	2x8x4	
dataset	/state/embed.W_E	float32	8x8	
dataset	/state/pos_embed.W_pos	float32	3x8	
dataset	/state/unembed.W_U	float32	8x7	" "-l lists datasets and attributes"

run sh -c 'cat run.h5 | grok-snap -l | grep -v @history'
sed 's/^# run: stdin$/# run: run.h5/' "$TMP/stdout" >"$TMP/piped"
cmp -s "$TMP/piped" "$TMP/list"
ok $? "cat run.h5 | grok-snap -l lists the same"

# ---- tables ----
run grok-snap -t metrics run.h5
is_exit 0
run sh -c "grok-snap -t metrics run.h5 | grep -v '^#' | cut -f1,3,5 | head -3"
is_stdout "step	train_acc	test_acc
0	0.0012710162630813579	2.5109990926928157e-08
100	0.034445195666211167	3.0590222692562472e-07" "-t metrics: columns in written order, %.17g"
run sh -c "grok-snap -t metrics run.h5 | awk -F'\t' '/^#/ {next} \$1 != \"step\" && \$5 >= 0.9 {print \$1; exit}'"
is_stdout "800" "the first step with test_acc >= 0.9, by awk"
run sh -c "grok-snap -t metrics run.h5 | grep '^#'"
is_stdout "# run: run.h5
# table: /metrics
# d_model: 8
# lr: 0.001
# model: transformer
# op: add
# p: 7
# seed: 42
# steps: 1000
# wd: 1" "a table carries the run's config as metadata"
run sh -c 'cat run.h5 | grok-snap -t'
is_exit 0
[ "$(grep -vc '^#' "$TMP/stdout")" -eq 12 ]
ok $? "-t from a pipe: a header and 11 rows"

run grok-snap --at 430 -t embed.W_E run.h5
is_exit 0
run sh -c "grok-snap --at 430 -t embed.W_E run.h5 | head -6 | cut -f1-4"
is_stdout "# run: run.h5
# param: embed.W_E
# step: 400
# shape: 8x8
row	0	1	2
0	0.374149024	0.46062699	0.542502522" "--at -t PARAM: the nearest snapshot as a matrix"

run sh -c 'grok-snap -t /metrics run.h5 | grep -c "^#"'
is_stdout "10" "-t /metrics names the same group"

run grok-snap -t metrics -o m.tsv run.h5
is_exit 0
is_stdout_empty
[ "$(grep -vc '^#' m.tsv)" -eq 12 ]
ok $? "-o m.tsv writes the table there"

# ---- cutting ----
run grok-snap -p 'embed.*' -p 'unembed.*' -s 200:800:300 run.h5 -o cut.h5
is_exit 0
is_stderr_empty
run sh -c "grok-snap -l cut.h5 | grep snapshots"
is_stdout "dataset	/snapshots/embed.W_E	float32	3x8x8	
dataset	/snapshots/step	int64	3	
dataset	/snapshots/unembed.W_U	float32	3x8x7	" "-p and -s keep the selected snapshots"
run sh -c "grok-snap -l cut.h5 | grep -c -e /config@ -e /data/ -e /metrics/"
is_stdout "19" "config, data and metrics are kept"
run sh -c "grok-snap -l cut.h5 | grep -c /state"
is_stdout "0" "the state is not"
run sh -c "grok-snap -l cut.h5 | grep @history | cut -f5"
is_stdout "2023-11-14T22:13:20Z grok-fixture $GROK_VERSION_TEST grok-fixture run.h5|2023-11-14T22:13:20Z grok-snap $GROK_VERSION_TEST grok-snap -p 'embed.*' -p 'unembed.*' -s 200:800:300 run.h5 -o cut.h5" "history gains a line"

run sh -c 'grok-snap -s 0:300 run.h5 | grok-snap -l | grep /snapshots/step'
is_stdout "dataset	/snapshots/step	int64	4	" "a run through a pipe, as HDF5"

run sh -c 'grok-snap -p "embed.W_E" run.h5 > a.h5 && grok-snap -p "embed.W_E" run.h5 > b.h5 && cmp a.h5 b.h5'
is_exit 0

run grok-snap --at 430 run.h5 -o state.h5
is_exit 0
run sh -c "grok-snap -l state.h5 | grep /state"
is_stdout "attribute	/state@step	int64	scalar	400
dataset	/state/blocks.0.attn.W_Q	float32	2x8x4	
dataset	/state/embed.W_E	float32	8x8	
dataset	/state/pos_embed.W_pos	float32	3x8	
dataset	/state/unembed.W_U	float32	8x7	" "--at STEP writes a state"

# ---- bad input ----
head -c "$(($(wc -c <run.h5) / 2))" run.h5 >half.h5
run grok-snap -l half.h5
is_exit 1
is_stderr "grok-snap: half.h5: not a complete HDF5 file"
is_stdout_empty

run sh -c 'grok-snap -l < half.h5'
is_exit 1
is_stderr "grok-snap: stdin: not a complete HDF5 file"

grok-snap -t metrics run.h5 >table.tsv
run grok-snap -l table.tsv
is_exit 1
is_stderr "grok-snap: table.tsv: not an HDF5 file"

run grok-snap -l foreign.h5
is_exit 1
is_stderr 'grok-snap: foreign.h5: not a grok run (an HDF5 file without format = "grok-run")'

run grok-snap -l missing.h5
is_exit 1
is_stderr "grok-snap: missing.h5: No such file or directory"

run sh -c 'grok-snap -l < /dev/null'
is_exit 1
is_stderr "grok-snap: stdin: empty input"

run grok-snap -t metrics nometrics.h5
is_exit 1
is_stderr "grok-snap: nometrics.h5: no group /metrics"

run grok-snap --at 100 -t nope run.h5
is_exit 1
is_stderr "grok-snap: run.h5: no snapshots of 'nope'"

run grok-snap -p 'nope*' run.h5 -o none.h5
is_exit 1
is_stderr "grok-snap: run.h5: no parameter matches -p nope*"
[ ! -e none.h5 ] && [ -z "$(ls -A | grep tmp)" ]
ok $? "a failed cut leaves no output file"

run grok-snap -s 2000:3000 run.h5 -o none.h5
is_exit 1
is_stderr "grok-snap: run.h5: no snapshot has a step in the range given by -s"

run grok-snap -p '[ab' run.h5
is_exit 2
is_stderr "grok-snap: -p: bad glob '[ab': '[' without ']' (see grok-snap --help)"

run grok-snap -s 5:1 run.h5
is_exit 2
is_stderr "grok-snap: -s: bad step range '5:1': FROM is after TO (see grok-snap --help)"

run grok-snap -s x run.h5
is_exit 2
is_stderr "grok-snap: -s: bad step range 'x' (FROM:TO[:EVERY], e.g. 0:5000:500) (see grok-snap --help)"

run grok-snap --at -3 run.h5
is_exit 2
is_stderr "grok-snap: --at: bad step '-3' (a training step, e.g. 5000) (see grok-snap --help)"

run grok-snap --bogus run.h5
is_exit 2
is_stderr "grok-snap: unknown option '--bogus' (see grok-snap --help)"

run grok-snap -x run.h5
is_exit 2
is_stderr "grok-snap: unknown option '-x' (see grok-snap --help)"

run grok-snap run.h5 -o
is_exit 2
is_stderr "grok-snap: option '-o' needs a value (see grok-snap --help)"

run grok-snap run.h5 other.h5
is_exit 2
is_stderr "grok-snap: too many arguments: 'other.h5' (see grok-snap --help)"

run grok-snap --at 100 -t run.h5
is_exit 2
is_stderr "grok-snap: --at with a table needs the parameter: -t PARAM (or write a run with -o FILE.h5) (see grok-snap --help)"

run grok-snap -t metrics -p 'embed.*' run.h5
is_exit 2
is_stderr "grok-snap: -p and -s cut a run, but the output is a table: write the run with -o FILE.h5 or to a pipe (see grok-snap --help)"

# Found by audit: the reason is the name given to -o, not a terminal.
run grok-snap -p 'embed*' run.h5 -o m2.tsv
is_exit 2
is_stderr "grok-snap: -p and -s cut a run, but the output is a table (-o m2.tsv ends in .tsv): write the run with -o FILE.h5 or to a pipe (see grok-snap --help)"
[ ! -e m2.tsv ]
ok $? "nothing written"

run grok-snap -l -s 0:100 run.h5
is_exit 2
is_stderr "grok-snap: -l lists the whole run; it takes no --at, -p or -s (see grok-snap --help)"

run grok-snap -t metrics run.h5 -o nodir/x.tsv
is_exit 1
is_stderr "grok-snap: nodir/x.tsv: cannot create: No such file or directory"

run sh -c 'grok-snap -t metrics run.h5 > /dev/full'
is_exit 1
is_stderr "grok-snap: stdout: write failed: No space left on device"

# An interrupt while waiting for input: exit 130, one line, nothing written.
# The signal goes to this grok-snap's own PID ($! of a pipeline is its last command), never to
# whatever else matches a pattern.
sleep 2 | grok-snap -l -o never.tsv 2>"$TMP/int.err" &
pid=$!
sleep 0.5
kill -TERM "$pid"
int_rc=0
wait "$pid" || int_rc=$?
[ "$int_rc" = 130 ] && [ "$(cat "$TMP/int.err")" = "grok-snap: stdin: interrupted" ] && [ ! -e never.tsv ]
ok $? "SIGTERM while reading stdin: exit 130, one line, no output"

# Found by review: the cases a researcher meets.
mkdir metrics
run sh -c "grok-snap -t metrics run.h5 | grep -c '^#'"
is_stdout "10" "-t metrics run.h5 with a folder called metrics here"
rmdir metrics

run flock -x run.h5 grok-snap -l run.h5
is_exit 1
is_stderr "grok-snap: run.h5: locked by another program (one still writing it?)"

run sh -c 'grok-snap -l < run.h5 | grep -c /snapshots/'
is_stdout "5" "a file as stdin is read in place"

grok-fixture --steps 20000 --every 2 long.h5
run sh -c 'grok-snap -t metrics long.h5 | head -1'
is_stderr_empty
is_stdout "# run: long.h5" "a reader that stops early ends grok-snap quietly"

if command -v script >/dev/null 2>&1; then
    run script -qec "$GROK_BIN/grok-snap -l" /dev/null
    is_exit 2
    grep -q "grok-snap: no input: name a run, or pipe one in (see grok-snap --help)" "$TMP/stdout"
    ok $? "a terminal as input is refused at once"
fi

run grok-snap --quiet=1 -l run.h5
is_exit 2
is_stderr "grok-snap: option '--quiet' takes no value (see grok-snap --help)"

run grok-snap -l run.h5 -o ''
is_exit 2
is_stderr "grok-snap: -o: empty file name (see grok-snap --help)"

mkdir outdir
run grok-snap run.h5 -o outdir
is_exit 2
is_stderr "grok-snap: -o: 'outdir' is a directory (see grok-snap --help)"

run grok-snap --at 100 -s 0:100 run.h5 -o x.h5
is_exit 2
is_stderr "grok-snap: --at picks one snapshot; it takes no -s (see grok-snap --help)"

run grok-snap --at 99999999999999999999 run.h5
is_exit 2
is_stderr "grok-snap: --at: bad step '99999999999999999999' (a training step, e.g. 5000) (see grok-snap --help)"

run grok-snap -p 'x*' -p 'y*' run.h5 -o none.h5
is_exit 1
is_stderr "grok-snap: run.h5: no parameter matches -p x* or y*"

# Found by audit: -t GROUP keeps the columns of the length most of them share, whatever comes
# first, and names every 1-D dataset it leaves out, a string one included. /pca rebuilt with a
# column of another length first and a string column last.
grok-pca -q -p 'embed*' -p 'blocks*' -p 'unembed*' run.h5 -o pca.h5
/usr/bin/python3 - <<'EOF'
import h5py, numpy as np
with h5py.File("pca.h5", "r+") as f:
    f.move("pca", "pca_old")
    old, new = f["pca_old"], f.create_group("pca", track_order=True)
    new["a_first"] = np.arange(2, dtype=np.int64)
    for name in old:
        f.copy(old[name], new, name)
    new["label"] = np.array([b"x", b"y", b"z"], dtype=h5py.string_dtype())
    for k, v in old.attrs.items():
        new.attrs[k] = v
    del f["pca_old"]
EOF
run grok-snap -t pca pca.h5
is_exit 0
is_stderr_empty
# (The shares' last digits depend on the BLAS: only the matrices' sizes are pinned.)
run sh -c "grok-snap -t pca pca.h5 | grep -e '^# skipped' -e '^# table' -e '^[^#]' | sed -E 's/\t[-+.e0-9]+/\t-/g'"
is_stdout "# table: /pca
# skipped: a_first (2 rows), step (11 rows), label (text)
n_params	pc1	pc2	pc3	top3
64	-	-	-	-
64	-	-	-	-
56	-	-	-	-" "-t pca: the per-matrix columns, what is left out named"

# Found by audit: a parameter's snapshots must match /snapshots/step (shortened here by h5py),
# and a parameter has rank 1 or more.
/usr/bin/python3 - <<'EOF'
import h5py, numpy as np, shutil
shutil.copy("run.h5", "shortstep.h5")
with h5py.File("shortstep.h5", "r+") as f:
    f["/snapshots/step"].resize((5,))
shutil.copy("run.h5", "scalar.h5")
with h5py.File("scalar.h5", "r+") as f:
    f["/snapshots/bias"] = np.zeros(11, dtype=np.float32)
EOF
run grok-snap -s 0:1000 shortstep.h5 -o x.h5
is_exit 1
is_stderr "grok-snap: shortstep.h5: /snapshots/embed.W_E has 11 snapshots, /snapshots/step only 5"
run grok-snap --at 100 -t bias scalar.h5
is_exit 1
is_stderr "grok-snap: scalar.h5: /snapshots/bias is not a numeric parameter snapshot of rank 1 or more"
is_stdout_empty

# /snapshots/step as another writer may leave it: float64 whole numbers (h5py's numpy default)
# are steps, and a cut writes them back as int64; steps out of order are refused, before
# anything is written.
doctored_steps run.h5 fsteps.h5 float64
doctored_steps run.h5 back.h5 int64 2=300 3=200
run sh -c "grok-snap -s 200:400 fsteps.h5 | grok-snap -l | grep '/snapshots/step'"
is_exit 0
is_stdout "dataset	/snapshots/step	int64	3	" "a float /snapshots/step of whole numbers: cut by -s, written as int64"
run sh -c "grok-snap --at 430 -t embed.W_E fsteps.h5 | grep '^# step'"
is_stdout "# step: 400" "--at on float steps: the nearest one"
run grok-snap --at 430 -t embed.W_E back.h5
is_exit 1
is_stderr "grok-snap: back.h5: /snapshots/step is not increasing (row 4: 200 after 300)"
is_stdout_empty
run grok-snap -s 0:1000 back.h5 -o back-cut.h5
is_exit 1
is_stderr "grok-snap: back.h5: /snapshots/step is not increasing (row 4: 200 after 300)"
[ ! -e back-cut.h5 ]
ok $? "a cut refused for its steps leaves no output file"

# Found by audit: -o a link, a FIFO or a device writes into it and leaves it what it was.
echo old >old.tsv
ln -s old.tsv link.tsv
run grok-snap -t metrics run.h5 -o link.tsv
is_exit 0
[ -L link.tsv ] && [ "$(readlink link.tsv)" = old.tsv ] && [ "$(grep -vc '^#' old.tsv)" -eq 12 ]
ok $? "-o LINK: the link stays, the file it names gets the table"
mkfifo fifo
timeout 10 cat fifo >from-fifo.tsv &
reader=$!
run grok-snap -t metrics run.h5 -o fifo
wait "$reader"
is_exit 0
[ -p fifo ] && [ "$(grep -vc '^#' from-fifo.tsv)" -eq 12 ]
ok $? "-o FIFO: the reader gets the table, the FIFO stays"
# A reader that leaves early ends grok-snap as on a pipe (SIGPIPE), and no temporary file stays.
mkdir tmpd
timeout 10 head -c 10 fifo >/dev/null &
reader=$!
run env TMPDIR="$TMP/tmpd" grok-snap run.h5 -o fifo
wait "$reader"
[ -p fifo ] && [ -z "$(ls -A tmpd)" ]
ok $? "-o FIFO whose reader leaves early: no temporary file left"
# As root, a regression would replace the machine's /dev/null: a private device goes first
# (root may make one), and /dev/null only when that one stayed a device.
if mknod null c 1 3 2>/dev/null; then
    run grok-snap -p 'embed*' run.h5 -o null
    is_exit 0
    [ -c null ]
    ok $? "-o DEVICE: the device is still a character device"
fi
if [ ! -e null ] || [ -c null ]; then
    run grok-snap -p 'embed*' run.h5 -o /dev/null
    is_exit 0
    is_stderr_empty
    [ -c /dev/null ]
    ok $? "-o /dev/null: a run written there, and /dev/null is still a character device"
    run grok-snap -t metrics run.h5 -o /dev/null
    is_exit 0
    [ -c /dev/null ]
    ok $? "-o /dev/null: a table written there too"
else
    ok 1 "-o /dev/null not tried: a device is replaced"
fi
# /dev/stdout's chain of links ends in no path when stdout is a pipe: it is opened as it is.
run sh -c 'grok-snap -p "embed*" run.h5 -o /dev/stdout | grok-snap -l | grep -c "^dataset	/snapshots/embed"'
is_exit 0
is_stdout "1" "-o /dev/stdout into a pipe: the run reaches the reader"
# Into a file the shell opened for appending, through a copy of the descriptor: what the file
# held stays, and so does what is written after.
echo "HEADER LINE" >log.tsv
run sh -c '{ grok-snap -t metrics run.h5 -o /dev/stdout; echo last; } >>log.tsv'
is_exit 0
[ "$(head -1 log.tsv)" = "HEADER LINE" ] && [ "$(tail -1 log.tsv)" = last ] && [ "$(grep -c '^# run:' log.tsv)" -eq 1 ]
ok $? "-o /dev/stdout appended to a file: its first line and the line after the table stay"
run grok-snap -t metrics run.h5 -o /dev/fd/9
is_exit 1
is_stderr "grok-snap: /dev/fd/9: cannot open: Bad file descriptor"

# Found by audit: the test helper wrote a run called "--help".
run grok-fixture --help
is_exit 2
[ ! -e ./--help ] && grep -q "^grok-fixture: unknown option or missing value '--help'; usage: grok-fixture " "$TMP/stderr"
ok $? "grok-fixture --help: a usage line, no file called --help"
run grok-fixture x.h5 --steps
is_exit 2
[ ! -e ./--steps ] && [ ! -e x.h5 ]
ok $? "grok-fixture with a flag's value missing: nothing written"

run grok-snap --help
is_exit 0
grep -q '^Usage: grok-snap' "$TMP/stdout"
ok $? "--help prints the usage to stdout"
run grok-snap --version
is_stdout "grok-snap $GROK_VERSION_TEST"

done_testing
