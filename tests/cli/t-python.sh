#!/bin/sh
# The bridge to Python (doc/python.md): runs read with h5py, and a numpy forward pass in
# TransformerLens's conventions that recomputes every model family's last evaluation from
# /state and /data to 1e-5 (tests/python/forward.py); with PyTorch, TransformerLens's state
# dict names and shapes and a float32 torch pass (tests/python/tl_torch.py). Debian's Python
# (/usr/bin/python3) runs them: it is the one `tools/deps.sh` gives python3-h5py.
. "$(dirname "$0")/tap.sh"
PY="$GROK_TOP/tests/python"
DOC="$GROK_TOP/doc/python.md"
cd "$TMP" || exit 1

skip_all_without_h5py

# Every code block of the page is a verbatim piece of the scripts run below, except one whose
# paragraph above says that it was not run here.
run /usr/bin/python3 - "$DOC" "$PY/forward.py" "$PY/tl_torch.py" <<'EOF'
import sys
page = open(sys.argv[1]).read().split("\n")
scripts = "".join(open(p).read() for p in sys.argv[2:])
blocks, stray, para, above, i = 0, [], [], [], 0   # above: the paragraph before a block
while i < len(page):
    if page[i] == "```python":
        j = page.index("```", i + 1)
        blocks += 1
        if "\n".join(page[i + 1:j]) + "\n" not in scripts and "not run here" not in " ".join(above):
            stray.append(page[i + 1])
        para, above, i = [], [], j
    elif page[i]:
        para.append(page[i])
    elif para:
        above, para = para, []
    i += 1
print("%d blocks" % blocks if blocks and not stray else "not in the scripts: %s" % stray)
EOF
is_exit 0
grep -qx '[0-9]* blocks' stdout
r=$?
ok $r "every code block of doc/python.md is in tests/python (or marked not run here)"
[ $r -eq 0 ] || sed 's/^/# /' stdout

# A transformer of each kind and an MLP of each input, tiny: a few hundredths of a second each.
T="--p 11 --d-model 8 --heads 2 --d-mlp 16 --steps 30 --eval-every 10 --snapshot-every 10 --threads 1 -q"
M="--model mlp --p 11 --steps 30 --eval-every 10 --snapshot-every 10 --threads 1 -q"
grok-train $T -o tf.h5 &&
    grok-train $T --norm pre -o tf-ln.h5 &&
    grok-train $T --norm pre --act gelu --attn full --readout first --ctx aob= --layers 2 --d-head 3 -o tf-var.h5 &&
    grok-train $T --loss mse --ctx ab -o tf-mse.h5 &&
    grok-train $M --embed 8 --hidden 16 -o mlp.h5 &&
    grok-train $M --embed onehot --hidden 16,8 --act quad -o mlp-onehot.h5 &&
    grok-train $M --embed raw --ctx aob= --hidden 16 --act gelu -o mlp-raw.h5
ok $? "seven tiny runs trained"
RUNS="tf.h5 tf-ln.h5 tf-var.h5 tf-mse.h5 mlp.h5 mlp-onehot.h5 mlp-raw.h5"

run /usr/bin/python3 "$PY/forward.py" $RUNS
is_exit 0
is_stderr_empty
sed 's/^/# /' stdout
[ "$(grep -c ' (grok-train .*|diff| [0-9.e-]*), [a-z]*_acc \([0-9]*\)/[0-9]* (grok-train \1/' stdout)" -eq 14 ]
ok $? "numpy: the train and test loss of every run within 1e-5, the accuracy equal"

# The check can fail: one logit's bias moved by 1e-3.
cp tf.h5 moved.h5
/usr/bin/python3 -c "import h5py; f = h5py.File('moved.h5', 'r+'); f['state/unembed.b_U'][0] += 1e-3; f.close()"
run /usr/bin/python3 "$PY/forward.py" moved.h5
is_exit 1

# One parameter's trajectory: [T, shape...] and its T steps.
run /usr/bin/python3 -c "import sys; sys.path.insert(0, '$PY'); from forward import trajectory
W_E, steps = trajectory('tf.h5', 'embed.W_E'); print(W_E.shape, W_E.dtype, list(steps))"
is_stdout "(4, 12, 8) float32 [0, 10, 20, 30]" "trajectory(): embed.W_E over the four snapshots"

# run-format.md's block "Reading a run with h5py", as it stands, on a run.h5.
cp tf.h5 run.h5
sed -n '/^## Reading a run with h5py/,/^## /p' "$GROK_TOP/doc/run-format.md" |
    sed -n '/^```python$/,/^```$/p' | sed '1d;$d' >reading.py
run /usr/bin/python3 reading.py
is_exit 0
is_stderr_empty
grep -q 'grok-train' stdout
ok $? "run-format.md's h5py block printed the history"

if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    run /usr/bin/python3 "$PY/tl_torch.py" tf.h5 tf-ln.h5 tf-var.h5
    is_exit 0
    sed 's/^/# /' stdout
else
    ok 0 "# SKIP python3-torch is not installed (tools/deps.sh --bench installs it)"
fi

done_testing
