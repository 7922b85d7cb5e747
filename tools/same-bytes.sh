#!/bin/sh
# same-bytes.sh REV: whether this tree's programs write the same bytes as REV's.
#
# For a change that must not change what any program writes (a restructuring, a speed-up that
# keeps the arithmetic): builds REV in a temporary worktree, runs one fixed set of commands with
# REV's programs and with this tree's (bin/, built by `make` first), and compares every output
# file, standard output and standard error, and exit status byte for byte. The set trains small
# transformers and MLPs (threads 1 and 2, minibatches with clipping and --lr-mult, a resumed run,
# the live table; P2's closed form, regression and --manifold), cuts and lists runs, and runs
# every analysis program, their pipeline and a few refusals. History lines are made comparable with SOURCE_DATE_EPOCH and the programs are called
# by name from PATH. Prints "same bytes: N files" and exits 0, or names the files that differ
# and exits 1 (the two output folders are kept for diff -r). About a minute on two cores.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: tools/same-bytes.sh REV   (e.g. tools/same-bytes.sh HEAD~3)" >&2
    exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$top" rev-parse --verify "$1^{commit}")
work=$(mktemp -d "${TMPDIR:-/tmp}/same-bytes.XXXXXX")
git -C "$top" worktree add -q --detach "$work/old-tree" "$rev"
trap 'git -C "$top" worktree remove --force "$work/old-tree" 2>/dev/null; git -C "$top" worktree prune' EXIT
make -s -C "$work/old-tree" -j2 all >"$work/old-build.log" 2>&1 || { echo "same-bytes: building $1 failed: $work/old-build.log" >&2; exit 1; }
make -s -C "$top" -j2 all >"$work/new-build.log" 2>&1 || { echo "same-bytes: building this tree failed: $work/new-build.log" >&2; exit 1; }

# run_set BIN OUT: the commands, each one's stdout, stderr and status in OUT/NAME.{out,err,rc}.
run_set() {
    (
    PATH="$1:$PATH"; export PATH
    SOURCE_DATE_EPOCH=0; export SOURCE_DATE_EPOCH
    mkdir -p "$2" && cd "$2"
    T="--p 23 --frac 0.5 --d-model 32 --heads 4 --d-mlp 64 --eval-every 10 --snapshot-every 20"
    r() { name=$1; shift; "$@" >"$name.out" 2>"$name.err" && echo 0 >"$name.rc" || echo $? >"$name.rc"; }
    r train1 grok-train $T --steps 200 --threads 1 -q -o run.h5
    r train2 grok-train $T --steps 200 --threads 2 -q -o run2.h5
    r trainb grok-train $T --steps 120 --batch 64 --threads 2 --clip 1 --lr-mult 'embed=2' -q -o runb.h5
    r trainh grok-train $T --steps 100 --threads 1 -q -o half.h5
    r trainr grok-train --resume half.h5 --steps 200 --threads 1 -q -o resumed.h5
    r traint grok-train $T --steps 60 --threads 1 -q -t
    r mlp grok-train --preset alquabeh --p 23 --steps 100 --eval-every 10 --snapshot-every 20 --threads 2 -q -o mlp.h5
    r mlp1 grok-train --preset alquabeh --p 23 --steps 60 --eval-every 10 --snapshot-every 20 --threads 1 --batch 32 -q -o mlp1.h5
    r xu grok-train --preset xu --p 23 --steps 60 --eval-every 10 --snapshot-every 20 --threads 2 -q -o xu.h5
    r snapl grok-snap -l run.h5
    r snapm grok-snap -t metrics run.h5
    r snapat grok-snap --at 100 run.h5 -o at.h5
    r snapw grok-snap --at 100 -t embed.W_E run.h5
    r snapcut grok-snap -p 'blocks.*.attn.*' -s ::40 run.h5 -o cut.h5
    r pca grok-pca -q run.h5 -o pca.h5
    r pcat grok-pca -q -t run.h5
    r pcaw grok-pca -q --window expanding:5 --null random-walk:5 -t window run.h5
    r pcaj grok-pca -q --joint -k 3 -t proj run.h5
    r pcam grok-pca -q mlp.h5 -o pcamlp.h5
    r com grok-commute -q -K 3 --batch 16 pca.h5 -o com.h5
    r comt grok-commute -q -K 3 --batch 16 --threads 2 -s 0:100 -t pca.h5
    r comf grok-commute -q -K 2 --batch 8 --float --random-bases 2 -t pca.h5
    r comm grok-commute -q -K 2 --batch 8 --threads 2 pcamlp.h5 -t
    r four grok-fourier -q run.h5 -o four.h5
    r fourt grok-fourier -q -t run.h5
    r fours grok-fourier -q -t spectrum run.h5
    r fourm grok-fourier -q -t mlp.h5
    r align grok-align -q --sample 32 run.h5 -o align.h5
    r alignt grok-align -q --exact --sample 16 -s 0:100 -t run.h5
    r alignp grok-align -q --projections 3 --sample 16 -t mlp.h5
    r fit grok-fit -q com.h5 -o fit.h5
    r fitt grok-fit -q -t com.h5
    r fitm sh -c "grok-snap -t metrics run.h5 | grok-fit -t --grok-acc 0.1"
    r fitl sh -c "for f in run.h5 run2.h5; do grok-fit -t \$f; done | grok-fit -t --law t_grok:t_mem"
    r fits grok-fit -t --sigmoid test_acc --sigmoid train_acc run.h5
    r pipe sh -c "grok-pca -q run.h5 | grok-commute -q -K 2 --batch 8 | grok-fit -q | grok-snap -l"
    # P2's models (flags from issue 24 on: an older REV refuses them, and they differ)
    r closed grok-train --preset musat --p 17 --steps 30 --snapshot-every 10 -q -o closed.h5
    r gd grok-train --preset musat-gd --p 17 --hidden 64 --steps 60 --snapshot-every 20 --threads 2 -q -o gd.h5
    r lin grok-train --preset musat-linear2 --steps 100 -q -o lin.h5
    r linr grok-train --resume closed.h5 --steps 40 -q -o closedr.h5
    r mani grok-align -q --manifold -s ::20 gd.h5 -o mani.h5
    r manit grok-align -q --manifold -t lin.h5
    r trajt grok-snap -t snapshots lin.h5
    r bad1 grok-pca -q /nonexistent.h5
    r bad2 grok-commute -q --basis run.h5 run.h5
    r bad3 grok-train --lr-mult 'nothing=2' --steps 1 -q -o x.h5
    )
}

run_set "$work/old-tree/bin" "$work/old"
run_set "$top/bin" "$work/new"
if diff -r -q "$work/old" "$work/new"; then
    echo "same bytes: $(ls "$work/old" | wc -l) files, $1 ($rev) and this tree"
    rm -rf "$work/old" "$work/new"
else
    echo "same-bytes: these differ between $1 and this tree (diff -r $work/old $work/new)" >&2
    exit 1
fi
