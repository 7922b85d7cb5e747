#!/bin/sh
# make demo: the main job on a small fixture run (until grok-train exists): list a run, find
# when it memorised and when it generalised from its metrics, cut it down through a pipe.
set -eu
bin=$1 fixture=$2
PATH="$bin:$PATH"
dir=$(mktemp -d "${TMPDIR:-/tmp}/grok-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

echo '$ grok-fixture run.h5        # a small synthetic run (grok-train will make real ones)'
"$fixture" run.h5
echo
echo '$ cat run.h5 | grok-snap -l | head -12'
cat run.h5 | grok-snap -l | head -12
echo
echo '$ grok-snap -t metrics run.h5 | awk ...   # first steps with train / test accuracy >= 0.9'
grok-snap -t metrics run.h5 | awk -F'\t' '
    /^#/ { next }
    $1 == "step" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    !mem && $col["train_acc"] >= 0.9 { mem = $1 }
    !gen && $col["test_acc"] >= 0.9 { gen = $1 }
    END { printf "memorised at step %s, generalised at step %s\n", mem, gen }'
echo
echo "$ grok-snap -p 'embed.*' -s 0:1000:500 run.h5 | grok-snap -l | grep snapshots"
grok-snap -p 'embed.*' -s 0:1000:500 run.h5 | grok-snap -l | grep snapshots
