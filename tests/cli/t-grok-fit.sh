#!/bin/sh
# grok-fit: what a user sees (stdout, the exact stderr line, the exit code), good and bad.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
grok-fixture --steps 2000 long.h5
grok-fixture --commute --pca cp.h5
grok-fixture --no-metrics nometrics.h5
grok-fixture --foreign foreign.h5

META="# mem_acc: 0.99
# grok_acc: 0.9
# grokked_acc: 0.98
# grokked_count: 3
# onset_factor: 10
# onset_min: 20
# onset_floor: 0.1"
HEADER="run	op	p	lr	wd	seed	model	preset	n_evals	t_mem	t_grok	t_grok98	grokked	final_train_acc	final_test_acc	t_onset	lead	lead_frac	pc1_mean"
# The fixture's accuracies are logistics: train 0.99 first at 400, test 0.9 at 800; 0.98 at
# 900 and 1000 only, two evaluations, so run.h5 has not grokked and long.h5 (to 2000) has.
ROW_RUN="add	7	0.001	1	42	transformer	nan	11	400	800	nan	0	0.99999999999737699	0.9994472213630764	nan	nan	nan	nan"
ROW_LONG="add	7	0.001	1	42	transformer	nan	21	400	800	900	1	1	0.99999999999999223	nan	nan	nan	nan"

# ---- events ----
run grok-fit -t run.h5
is_exit 0
is_stderr_empty
is_stdout "$META
$HEADER
run.h5	$ROW_RUN" "events of the fixture run, every column"

# /commute: D about 2, then 52 at step 500 (> 10 x 2 and > 20): onset 500, lead 800 - 500.
run grok-fit -t cp.h5
is_stdout "$META
$HEADER
cp.h5	add	7	0.001	1	42	transformer	nan	11	400	800	nan	0	0.99999999999737699	0.9994472213630764	500	300	0.375	0.6875" \
    "with /commute and /pca: t_onset, lead, lead_frac, pc1_mean"

# Per-matrix PC1 shares: /pca/pc1 with the names /pca@matrices gives them (the fixture's /pca has
# none); the preset from /config@preset, "none" when it is empty (trained without one).
/usr/bin/python3 - <<'EOF2'
import h5py, numpy as np, shutil
shutil.copy("cp.h5", "named.h5")
with h5py.File("named.h5", "r+") as f:
    f["/pca"].attrs["matrices"] = np.bytes_("blocks.0.attn.W_Q,blocks.0.attn.W_K,blocks.1.attn.W_Q,blocks.1.attn.W_K")
    f["/config"].attrs["preset"] = np.bytes_("xu")
shutil.copy("long.h5", "other.h5")
with h5py.File("other.h5", "r+") as f:
    f["/pca/pc1"] = np.array([0.25, 0.5])
    f["/pca"].attrs["matrices"] = np.bytes_("blocks.0.attn.W_K,blocks.0.attn.W_V")
    f["/config"].attrs["preset"] = np.bytes_("")
shutil.copy("cp.h5", "badnames.h5")
with h5py.File("badnames.h5", "r+") as f:
    f["/pca"].attrs["matrices"] = np.bytes_("blocks.0.attn.W_Q,blocks.0.attn.W_K")
shutil.copy("cp.h5", "twice.h5")
with h5py.File("twice.h5", "r+") as f:
    f["/pca"].attrs["matrices"] = np.bytes_("a,b,a,c")
EOF2
run sh -c 'grok-fit -t named.h5 other.h5 run.h5 | grep -v "^#" | cut -f1,8,19-'
is_exit 0
is_stdout "run	preset	pc1_mean	pc1.blocks.0.attn.W_Q	pc1.blocks.0.attn.W_K	pc1.blocks.1.attn.W_Q	pc1.blocks.1.attn.W_K	pc1.blocks.0.attn.W_V
named.h5	xu	0.6875	0.875	0.75	0.625	0.5	nan
other.h5	none	0.375	nan	0.25	nan	nan	0.5
run.h5	nan	nan	nan	nan	nan	nan	nan" "pc1.MATRIX after pc1_mean, the union of the runs' matrices in first-seen order, nan where a run lacks one; the preset"
run sh -c 'grok-snap -t metrics named.h5 | grok-fit -t | tail -1 | cut -f8; grok-snap -t metrics other.h5 | grok-fit -t | tail -1 | cut -f8'
is_stdout "xu
none" "a metrics table's preset from its metadata, none when empty"
run sh -c 'grok-fit other.h5 | grok-snap -t fit | grep -v "^#" | cut -f19-'
is_stdout "pc1_mean	pc1.blocks.0.attn.W_K	pc1.blocks.0.attn.W_V
0.375	0.25	0.5" "/fit holds the per-matrix shares too"
printf 'run\tt_grok\tpc1.blocks.0.attn.W_Q\na\t1000\t0.5\nb\t2000\t0.6\nc\t3000\t0.7\nd\t4000\t0.8\n' >byshare.tsv
run sh -c "grok-fit --law t_grok:pc1.blocks.0.attn.W_Q:linear byshare.tsv | grep -v '^#' | cut -f1-4,6"
is_exit 0
is_stdout "y	x	form	n	b
t_grok	pc1.blocks.0.attn.W_Q	linear	4	10000" "--law names a pc1.MATRIX column"
run grok-fit -t badnames.h5
is_exit 1
is_stderr "grok-fit: badnames.h5: /pca@matrices names 2 matrices, /pca/pc1 holds 4 values"
run grok-fit -t twice.h5
is_exit 1
is_stderr "grok-fit: twice.h5: /pca@matrices names a repeated matrix"

run grok-fit -t run.h5 long.h5
is_exit 0
is_stdout "$META
$HEADER
run.h5	$ROW_RUN
long.h5	$ROW_LONG" "several runs: one header, one row each, in order"

run sh -c 'cat long.h5 | grok-fit -t'
is_stdout "$META
$HEADER
stdin	$ROW_LONG" "a run through a pipe is named stdin"

run sh -c 'grok-fit -t < long.h5 | tail -1'
is_stdout "stdin	$ROW_LONG" "a run as standard input (a file)"

mkfifo fifo.h5
(cat long.h5 >fifo.h5 &)
run sh -c 'grok-fit -t run.h5 fifo.h5 | tail -1'
is_stdout "fifo.h5	$ROW_LONG" "a run from a named FIFO, read through memory"

run sh -c 'grok-snap -t metrics long.h5 | grok-fit -t | tail -1'
is_exit 0
is_stdout "stdin	$ROW_LONG" "a metrics table gives the same events, its settings from the metadata"

run sh -c 'grok-snap -t metrics run.h5 | grep -v "^#" | grok-fit -t | tail -1'
is_stdout "stdin	nan	nan	nan	nan	nan	nan	nan	11	400	800	nan	0	0.99999999999737699	0.9994472213630764	nan	nan	nan	nan" \
    "a metrics table without metadata: settings nan"

run sh -c 'grok-fit -t --grok-acc 0.5 --grokked-acc 0.9 --grokked-count 2 --mem-acc 0.5 run.h5 | tail -1 | cut -f10-13'
is_stdout "200	700	800	1" "the thresholds are flags"

run sh -c 'grok-fit -t --onset-factor 30 cp.h5 | tail -1 | cut -f16,17'
is_stdout "600	200" "a higher onset factor: 52 at 500 is no longer > 30 x 2"

run grok-fit -t run.h5 -o ev.tsv
is_exit 0
is_stdout_empty
printf '%s\n' "$META" "$HEADER" "run.h5	$ROW_RUN" | cmp -s - ev.tsv
ok $? "-o ev.tsv writes the table there"

# ---- the run ----
run sh -c 'cat run.h5 | grok-fit | grok-snap -t fit | grep -v "^#"'
is_exit 0
is_stdout "$HEADER
stdin	$ROW_RUN" "piped: the run with /fit, the row grok-fit -t prints (text columns from /fit's attributes)"
run sh -c 'grok-fit run.h5 -o same.h5 && grok-snap -t fit same.h5 | grep -v "^#"; grok-fit -t run.h5 | grep -v "^#"'
is_stdout "$HEADER
run.h5	$ROW_RUN
$HEADER
run.h5	$ROW_RUN" "grok-snap -t fit prints the table grok-fit -t prints"
run sh -c 'grok-fit --grok-acc 0.5 run.h5 -o fit.h5 && grok-snap -l fit.h5 | grep -e "/fit@" -e history | cut -f2,5'
is_stdout "/@history	2023-11-14T22:13:20Z grok-fixture $GROK_VERSION_TEST grok-fixture run.h5|2023-11-14T22:13:20Z grok-fit $GROK_VERSION_TEST grok-fit --grok-acc 0.5 run.h5 -o fit.h5
/fit@columns	run,op,p,lr,wd,seed,model,preset,n_evals,t_mem,t_grok,t_grok98,grokked,final_train_acc,final_test_acc,t_onset,lead,lead_frac,pc1_mean
/fit@grok_acc	0.5
/fit@grokked_acc	0.98
/fit@grokked_count	3
/fit@mem_acc	0.99
/fit@model	transformer
/fit@onset_factor	10
/fit@onset_floor	0.1
/fit@onset_min	20
/fit@op	add
/fit@run	run.h5" "the thresholds and the text columns as attributes of /fit, a line in the history"
run sh -c 'grok-snap -l fit.h5 | grep -v -e /fit -e @history -e "^#" >a; grok-snap -l run.h5 | grep -v -e @history -e "^#" >b; cmp a b'
is_exit 0
run sh -c 'grok-fit fit.h5 | grok-fit | grok-snap -l | grep -c "/fit/"'
is_stdout "15" "a second grok-fit replaces /fit"
# The /fit rows of several runs, concatenated, are a table for --law.
grok-fit long.h5 -o fit2.h5
grok-fit cp.h5 -o fit3.h5
run sh -c 'for r in fit.h5 fit2.h5 fit3.h5; do grok-snap -t fit $r; done | grok-fit --law t_grok:seed:linear'
is_exit 1
is_stderr "grok-fit: stdin: t_grok:seed:linear: every seed is the same, no slope to fit"
run sh -c 'for r in fit.h5 fit2.h5 fit3.h5; do grok-snap -t fit $r; done | grok-fit --law final_test_acc:n_evals:linear | tail -1 | cut -f1-5'
is_stdout "final_test_acc	n_evals	linear	3	0" "... and a law over them runs" 
run sh -c 'grok-fit --sigmoid test_acc run.h5 | grok-snap -t fit | grep -v "^#" | cut -f20-22 | head -1'
is_stdout "sigmoid.test_acc.n	sigmoid.test_acc.mid	sigmoid.test_acc.mid_se" "--sigmoid in the run: /fit/sigmoid.COLUMN.NAME"

# ---- sigmoids ----
run grok-fit -t --sigmoid test_acc --sigmoid train_acc run.h5
is_exit 0
is_stderr_empty
awk -F'\t' '!/^#/ && $1 != "run" {
    want_mid = $2 == "test_acc" ? 700 : 200; want_w = $2 == "test_acc" ? 40 : 30
    if ($3 != 11 || (($4 - want_mid)^2)^0.5 > 1e-9 || (($6 - want_w)^2)^0.5 > 1e-9 || $10 > 1e-12) bad++
    n++ } END { exit !(n == 2 && !bad) }' "$TMP/stdout"
ok $? "sigmoids: the fixture's logistics (mid 700 width 40, mid 200 width 30) recovered"
run sh -c "grok-fit -t --sigmoid test_acc run.h5 | sed -n '1p;2p'"
is_stdout "# sigmoid: y = lo + (hi - lo) / (1 + exp(-(step - mid) / width))
run	column	n	mid	mid_se	width	width_se	lo	hi	rmse" "the sigmoid table's columns"
run sh -c "grok-fit -t --sigmoid test_acc --bootstrap 50 --seed 3 run.h5 | grep -v '^#' | head -1 | cut -f11-"
is_stdout "mid_lo	mid_hi	width_lo	width_hi" "--bootstrap adds the percentile columns"
run sh -c 'grok-fit -t --sigmoid test_acc --bootstrap 50 --seed 3 run.h5 long.h5 >a; grok-fit -t --sigmoid test_acc --bootstrap 50 --seed 3 run.h5 long.h5 >b; cmp a b'
ok $RC "--bootstrap with a seed: the same bytes twice"

# ---- laws ----
printf 'x\ty\n1\t2\n2\t4.1\n4\t7.9\n8\t16.5\n' >law.tsv
run grok-fit --law y:x --law y:x:linear --law y:x:exp law.tsv
is_exit 0
is_stderr_empty
is_stdout "# power: y = a*x^b
# linear: y = a + b*x
# exp: y = a*exp(b*x)
# se: standard errors from the residuals of the least-squares fit (on logs for power and exp; a's by the delta method)
y	x	form	n	dropped	b	b_se	a	a_se	r2
y	x	power	4	0	1.0079411101634379	0.015155611116316242	2.0049357505709131	0.039403372670209734	0.99954802933153564
y	x	linear	4	0	2.0669565217391308	0.036974420218207425	-0.12608695652174085	0.17044365549219617	0.99936042393139413
y	x	exp	4	0	0.28019531680654641	0.056649606455252619	1.9994194944188584	0.52213197094007835	0.92442571236097193" \
    "three forms of law (the numbers agree with least squares done by hand)"

# A known exponent from events: lead = 0.02 * t_grok^1.5 exactly, in two concatenated tables.
for t in 1000 2000 4000; do
    printf 'run\tt_grok\tlead\nr%s\t%s\t%s\n' "$t" "$t" "$(awk -v t=$t 'BEGIN {printf "%.17g", 0.02 * t^1.5}')"
done >ev3.tsv
printf 'run\tt_grok\tlead\nr8000\t8000\t%s\n' "$(awk 'BEGIN {printf "%.17g", 0.02 * 8000^1.5}')" >ev1.tsv
run sh -c 'cat ev3.tsv | grok-fit --law lead:t_grok - ev1.tsv | tail -1'
awk -F'\t' '{ exit !($4 == 4 && ($6 - 1.5)^2 < 1e-24 && ($8 - 0.02)^2 < 1e-26 && $10 > 1 - 1e-12) }' "$TMP/stdout"
ok $? "power law over concatenated events: exponent 1.5 and prefactor 0.02 to 1e-12"

run sh -c 'printf "x\ty\n1\t2\n2\t4.1\n4\t7.9\n8\t16.5\n" | grok-fit --law y:x --bootstrap 200 --seed 1 | grep -v "^#"'
awk -F'\t' 'NR == 1 { ok = $11 == "b_lo" && $14 == "a_hi" } NR == 2 { ok = ok && $11 < $6 && $6 < $12 && $13 < $8 && $8 < $14 } END { exit !ok }' "$TMP/stdout"
ok $? "--bootstrap: b_lo < b < b_hi, a_lo < a < a_hi"

printf 'run\tt_grok\tlead\na\t1000\t300\nb\t2000\t500\n# a comment\nc\t0\t10\nd\t4000\t900\ne\tnan\t3\n' >ev.tsv
run grok-fit --law lead:t_grok ev.tsv
is_exit 1
is_stderr "grok-fit: ev.tsv: line 5: t_grok is 0, cannot take its log (use --drop-invalid)"
is_stdout_empty
run grok-fit --law lead:t_grok:exp ev.tsv
is_exit 1
is_stderr "grok-fit: ev.tsv: line 7: t_grok is nan, no value to fit (use --drop-invalid)"
run sh -c 'grok-fit --law lead:t_grok --drop-invalid ev.tsv | tail -1 | cut -f1-5'
is_stdout "lead	t_grok	power	3	2" "--drop-invalid: the zero and the nan dropped and counted"
run sh -c 'grok-fit --law lead:t_grok:linear --drop-invalid ev.tsv | tail -1 | cut -f1-5'
is_stdout "lead	t_grok	linear	4	1" "a linear law takes the zero"

# Laws over the events of runs: each run is a row, named in its errors.
run grok-fit --law t_grok:p run.h5 long.h5 cp.h5
is_exit 1
is_stderr "grok-fit: t_grok:p: every p is the same, no slope to fit"
run grok-fit --law lead:t_grok run.h5 long.h5 cp.h5
is_exit 1
is_stderr "grok-fit: run.h5: lead is nan, no value to fit (use --drop-invalid)"
run grok-fit --law lead:t_grok --drop-invalid run.h5 long.h5 cp.h5
is_exit 1
is_stderr "grok-fit: lead:t_grok: 1 row left after dropping 2, a law needs 3 at least"
run grok-fit --law model:t_grok run.h5 long.h5 cp.h5
is_exit 1
is_stderr "grok-fit: run.h5: column 'model' is text, a law needs numbers"

# ---- bad input ----
printf 'x\ty\n1\t2\n2\t4\n' >two.tsv
run grok-fit --law y:x two.tsv -o out.tsv
is_exit 1
is_stderr "grok-fit: two.tsv: y:x: 2 rows, a law needs 3 at least"
[ ! -e out.tsv ] && [ -z "$(ls -A | grep -e tmp -e '^\.')" ]
ok $? "a failed law leaves no output file"

run grok-fit --law y:nope law.tsv
is_exit 1
is_stderr "grok-fit: law.tsv: no column 'nope'"
run grok-fit --law lead:nope run.h5 long.h5 cp.h5
is_exit 1
is_stderr "grok-fit: run.h5: no column 'nope' among the events"
printf 'x\ty\n1\t2\n2\t-4\n3\t5\n' >neg.tsv
run grok-fit --law y:x neg.tsv
is_exit 1
is_stderr "grok-fit: neg.tsv: line 3: y is -4, cannot take its log (use --drop-invalid)"

run grok-fit -t foreign.h5
is_exit 1
is_stderr 'grok-fit: foreign.h5: not a grok run (an HDF5 file without format = "grok-run")'
run grok-fit -t nometrics.h5 -o out.tsv
is_exit 1
is_stderr "grok-fit: nometrics.h5: no dataset /metrics/step"
[ ! -e out.tsv ]
ok $? "a failed events table leaves no output file"

# /metrics/step as another writer may leave it: floats (h5py's numpy default), out of order
/usr/bin/python3 - <<'EOF2'
import h5py, numpy as np, shutil
def with_steps(name, steps):
    shutil.copy("run.h5", name)
    with h5py.File(name, "r+") as f:
        del f["/metrics/step"]
        f["/metrics/step"] = steps
s = np.arange(11) * 100
with_steps("msteps-float.h5", s.astype(np.float64))
frac = s.astype(np.float64); frac[4] = 350.5
with_steps("msteps-frac.h5", frac)
back = s.copy(); back[2], back[3] = 300, 200
with_steps("msteps-back.h5", back)
EOF2
run sh -c 'grok-fit -t msteps-float.h5 | tail -1 | cut -f2-'
is_exit 0
is_stdout "$ROW_RUN" "float steps that are whole numbers: the same events"
run grok-fit -t msteps-frac.h5
is_exit 1
is_stderr "grok-fit: msteps-frac.h5: /metrics/step is not a whole number (row 5: 350.5)"
run grok-fit --sigmoid test_acc -t msteps-back.h5
is_exit 1
is_stderr "grok-fit: msteps-back.h5: /metrics/step is not increasing (row 4: 200 after 300)"
run grok-fit nometrics.h5 -o out.h5
is_exit 1
[ ! -e out.h5 ] && [ -z "$(ls -A | grep -e tmp -e '^\.')" ]
ok $? "a failed run output leaves no output file"
head -c "$(($(wc -c <run.h5) / 2))" run.h5 >half.h5
run grok-fit -t half.h5
is_exit 1
is_stderr "grok-fit: half.h5: not a complete HDF5 file"
run sh -c 'head -c 3000 run.h5 | grok-fit -t'
is_exit 1
is_stderr "grok-fit: stdin: not a complete HDF5 file"

: >empty.tsv
run grok-fit -t empty.tsv
is_exit 1
is_stderr "grok-fit: empty.tsv: empty file"
run sh -c 'grok-fit -t < /dev/null'
is_exit 1
is_stderr "grok-fit: stdin: empty input"
printf 'x\ty\n1\t2\n3\n' >ragged.tsv
run grok-fit --law y:x ragged.tsv
is_exit 1
is_stderr "grok-fit: ragged.tsv: line 3, column 2: 1 field, the header has 2"
printf 'x\ty\n1\t2\n2\tabc\n3\t4\n' >text.tsv
run grok-fit --law y:x text.tsv
is_exit 1
is_stderr "grok-fit: text.tsv: line 3, column 2: bad number 'abc' in column 'y'"
run grok-fit -t law.tsv
is_exit 1
is_stderr "grok-fit: law.tsv: not a metrics table (no column 'step'); an events table is read with --law"
run grok-fit -t missing.h5
is_exit 1
is_stderr "grok-fit: missing.h5: No such file or directory"
run sh -c '{ grok-snap -t metrics run.h5; grok-snap -t metrics long.h5; } | grok-fit -t'
is_exit 1
is_stderr "grok-fit: stdin: line 34: step 0 after step 1000 (the metrics of several runs? give each as its own input)"

printf 'step\ttrain_acc\ttest_acc\n0\t0\t0\n100\t0.5\tnan\n200\t1\t0.2\n300\t1\t0.6\n400\t1\t0.9\n500\t1\t0.95\n600\t1\t0.96\n' >m.tsv
run grok-fit -t --sigmoid test_acc m.tsv
is_exit 1
is_stderr "grok-fit: m.tsv: line 3: test_acc is nan, no value to fit (use --drop-invalid)"
run sh -c 'grok-fit -t --sigmoid test_acc --drop-invalid m.tsv | tail -1 | cut -f1-3'
is_stdout "m.tsv	test_acc	6" "--drop-invalid leaves the nan point out of a sigmoid"

# A sigmoid that does not fit is a warning and a row of nan, not a failure: the table is written.
NANFIT="nan	nan	nan	nan	nan	nan	nan"
run grok-fit -t --sigmoid param_norm run.h5
is_exit 0
is_stderr "grok-fit: run.h5: the sigmoid of param_norm does not fit (the fit does not converge (is it a sigmoid?))"
is_stdout "# sigmoid: y = lo + (hi - lo) / (1 + exp(-(step - mid) / width))
run	column	n	mid	mid_se	width	width_se	lo	hi	rmse
run.h5	param_norm	11	$NANFIT" "a curve no sigmoid fits: nan, the table still written"
run grok-fit -t --sigmoid lr run.h5
is_exit 0
is_stderr "grok-fit: run.h5: the sigmoid of lr does not fit (the values are constant, no rise to fit)"
run grok-fit -q -t --sigmoid lr run.h5
is_exit 0
is_stderr_empty
# The demo's curves (make demo, a+b mod 31; its test accuracy to 4 places): train accuracy
# reaches 1 by the first evaluation after step 0; test accuracy climbs from the start, least
# squares putting its midpoint before step 0 (lo -1.8, se 1800). Beside them, a curve that is a
# sigmoid, sampled as sparsely.
TEST_ACC="0.0333 0.1646 0.2208 0.2604 0.3292 0.3854 0.4313 0.4562 0.4833 0.5042 0.5167 0.5417
0.5521 0.5646 0.5813 0.5896 0.6104 0.6271 0.6562 0.6875 0.7292 0.7625 0.7958 0.8313
0.8542 0.8667 0.8875 0.9062 0.9271 0.9292 0.9521 0.9688 0.9771 0.9792 0.9792 0.9792
0.9792 0.9812 0.9812 0.9812 0.9812 0.9854 0.9875 0.9896 0.9896 0.9917 0.9917 0.9917"
echo $TEST_ACC | tr ' ' '\n' | awk 'BEGIN { print "step\ttrain_acc\ttest_acc\tgood" }
    { s = 100 * (NR - 1)
      printf "%d\t%s\t%s\t%.4f\n", s, s ? 1 : 0.0416, $1, 0.02 + 0.95 / (1 + exp(-(s - 2500) / 300)) }' >demo.tsv
run grok-fit -t --sigmoid test_acc --sigmoid good demo.tsv
is_exit 0
is_stderr "grok-fit: demo.tsv: the sigmoid of test_acc does not fit (midpoint -1003.51 outside the steps 0..4700)"
run grok-fit -t --sigmoid train_acc demo.tsv
is_exit 0
is_stderr "grok-fit: demo.tsv: the sigmoid of train_acc does not fit (the rise lies between two evaluations, steps 0 and 100: no width to fit)"
run sh -c 'grok-fit -t --sigmoid test_acc --sigmoid train_acc --sigmoid good demo.tsv 2>/dev/null |
    awk -F"\t" "NR > 2 { print \$1, \$2, \$3, \$4 == \"nan\" ? \$4 : int(\$4 + 0.5), \$6 == \"nan\" ? \$6 : int(\$6 + 0.5) }"'
is_stdout "demo.tsv test_acc 48 nan nan
demo.tsv train_acc 48 nan nan
demo.tsv good 48 2500 300" "the demo's curves: nan with a warning each; a sigmoid beside them fits"
run sh -c 'grok-fit -t --sigmoid test_acc --bootstrap 20 demo.tsv 2>/dev/null | tail -1 | cut -f11-'
is_stdout "nan	nan	nan	nan" "no bootstrap of a fit that means nothing"
run grok-fit -t --sigmoid nope run.h5
is_exit 1
is_stderr "grok-fit: run.h5: no dataset /metrics/nope"

# ---- bad usage ----
run grok-fit --law lead law.tsv
is_exit 2
is_stderr "grok-fit: --law: bad law 'lead' (Y:X or Y:X:FORM, e.g. lead:t_grok) (see grok-fit --help)"
run grok-fit --law a:b:c:d law.tsv
is_exit 2
is_stderr "grok-fit: --law: bad law 'a:b:c:d' (Y:X or Y:X:FORM, e.g. lead:t_grok) (see grok-fit --help)"
run grok-fit --law y:x:quadratic law.tsv
is_exit 2
is_stderr "grok-fit: --law: unknown form 'quadratic' in 'y:x:quadratic' (power, linear or exp) (see grok-fit --help)"
run grok-fit --law y:x --sigmoid test_acc run.h5
is_exit 2
is_stderr "grok-fit: --law and --sigmoid make different tables: give one of them (see grok-fit --help)"
run grok-fit run.h5 long.h5 -o two.h5
is_exit 2
is_stderr "grok-fit: a run as output takes exactly one run as input: add -t for a table (see grok-fit --help)"
[ ! -e two.h5 ]
ok $? "no run written"
run sh -c 'grok-fit run.h5 long.h5 > two.bin'
is_exit 2
is_stderr "grok-fit: a run as output takes exactly one run as input: add -t for a table (see grok-fit --help)"
run grok-fit law.tsv -o x.h5
is_exit 2
is_stderr "grok-fit: the inputs are tables, there is no run to write /fit into: add -t for a table (see grok-fit --help)"
run grok-fit --law y:x law.tsv -o x.h5
is_exit 2
is_stderr "grok-fit: --law writes a table: add -t, or name an output ending in .tsv (see grok-fit --help)"
run grok-fit -t --grok-acc high run.h5
is_exit 2
is_stderr "grok-fit: --grok-acc: bad value 'high' (an accuracy from 0 to 1) (see grok-fit --help)"
# accuracies are shares: 2 (or 99 for 99%) is never reached, -0.1 always is
run grok-fit -t --mem-acc 2 run.h5
is_exit 2
is_stderr "grok-fit: --mem-acc: bad value '2' (an accuracy from 0 to 1) (see grok-fit --help)"
run grok-fit -t --grokked-acc -0.1 run.h5
is_exit 2
is_stderr "grok-fit: --grokked-acc: bad value '-0.1' (an accuracy from 0 to 1) (see grok-fit --help)"
run grok-fit -t --grok-acc 99 run.h5
is_exit 2
is_stderr "grok-fit: --grok-acc: bad value '99' (an accuracy from 0 to 1) (see grok-fit --help)"
run sh -c 'grok-fit -t --mem-acc 1 --grok-acc 0 --grokked-acc 1 run.h5 | tail -1 | cut -f11'
is_exit 0
is_stdout "0" "the ends 0 and 1 are accuracies: --grok-acc 0 is met at the first evaluation"
run grok-fit -t --onset-factor -1 run.h5
is_exit 2
is_stderr "grok-fit: --onset-factor: bad value '-1' (a number from 0 up) (see grok-fit --help)"
run grok-fit -t --onset-min inf run.h5
is_exit 2
is_stderr "grok-fit: --onset-min: bad value 'inf' (a number from 0 up) (see grok-fit --help)"
run grok-fit -t --onset-floor -0.5 run.h5
is_exit 2
is_stderr "grok-fit: --onset-floor: bad value '-0.5' (a number from 0 up) (see grok-fit --help)"
run grok-fit -t --grokked-count 0 run.h5
is_exit 2
is_stderr "grok-fit: --grokked-count: bad count '0' (a whole number from 1) (see grok-fit --help)"
run grok-fit --law y:x --bootstrap 1.5 law.tsv
is_exit 2
is_stderr "grok-fit: --bootstrap: bad count '1.5' (a whole number from 1) (see grok-fit --help)"
run grok-fit -t - - < run.h5
is_exit 2
is_stderr "grok-fit: standard input ('-') given more than once (see grok-fit --help)"
run grok-fit --table=events run.h5
is_exit 2
is_stderr "grok-fit: -t takes no argument in grok-fit (its one table) (see grok-fit --help)"
run grok-fit -t --bootstrap 100 run.h5
is_exit 2
is_stderr "grok-fit: --bootstrap applies to --law and --sigmoid (see grok-fit --help)"
run grok-fit --bogus run.h5
is_exit 2
is_stderr "grok-fit: unknown option '--bogus' (see grok-fit --help)"
if command -v script >/dev/null 2>&1; then
    run script -qec "$GROK_BIN/grok-fit -t" /dev/null
    is_exit 2
    grep -q "grok-fit: no input: name a run or a table, or pipe one in (see grok-fit --help)" "$TMP/stdout"
    ok $? "a terminal as input is refused at once"
fi

# Only a pipe or a file gets a run: to a terminal the table is printed.
if command -v script >/dev/null 2>&1; then
    run script -qec "$GROK_BIN/grok-fit run.h5" /dev/null
    is_exit 0
    grep -q "^run.h5	add	7" "$TMP/stdout"
    ok $? "to a terminal, the events table"
fi

run grok-fit --help
is_exit 0
grep -q '^Usage: grok-fit' "$TMP/stdout"
ok $? "--help prints the usage to stdout"
run grok-fit --version
is_stdout "grok-fit $GROK_VERSION_TEST"

# --by: a law per value of a column, in the order the values first appear.
printf 'op\tx\ty\nadd\t1\t2\nsub\t1\t3\nadd\t2\t8\nsub\t2\t6\nadd\t4\t32\nsub\t4\t12\nsub\t8\t24\n' >by.tsv
run grok-fit --law y:x --by op by.tsv
is_exit 0
grep -v '^#' "$TMP/stdout" | awk -F'\t' 'NR == 1 { h = $1 } NR > 1 { printf "%s %s %s %.6f %.6f\n", $1, $2, $5, $7, $9 }' >got
printf 'add y 3 2.000000 2.000000\nsub y 4 1.000000 3.000000\n' | cmp -s - got
ok $? "--by op: y = 2x^2 for add and 3x for sub, each from its own rows"
grep -v '^#' "$TMP/stdout" | head -n 1 | cut -f1 | grep -qx op
ok $? "... the group's value in a first column named op"
printf 'op\tx\ty\nadd\t1\t2\nadd\t2\t8\nadd\t4\t32\nsub\t1\t3\nsub\t2\t6\n' >short.tsv
run grok-fit --law y:x --by op short.tsv
is_exit 1
is_stderr "grok-fit: short.tsv: op sub, y:x: 2 rows, a law needs 3 at least"
run grok-fit --law y:x --by model by.tsv
is_exit 1
is_stderr "grok-fit: by.tsv: no column 'model' to group by (--by)"
run grok-fit --by op by.tsv
is_exit 2
is_stderr "grok-fit: --by applies to --law (see grok-fit --help)"

done_testing
