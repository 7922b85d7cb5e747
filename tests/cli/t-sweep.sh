#!/bin/sh
# The examples' sweeps (examples/lib/sweep.mk): a dry run lists the commands and runs nothing;
# make -j2 runs every row; a second make does nothing; a run killed mid-way, or a make stopped by
# SIGTERM, continues from its checkpoint to the bytes of an uninterrupted one; and the same
# sweep as a job array on a real single-node Slurm (tools/slurm-local.sh), gathered by grok-fit.
# The Slurm part is skipped, named, where Slurm is not installed (make deps installs it).
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
# the makes here are this test's own, not jobs of a make check -j2 that runs it
unset MAKEFLAGS MFLAGS MAKELEVEL
trap '"$GROK_TOP/tools/slurm-local.sh" stop "$TMP/slurm" 2>/dev/null; rm -rf "$TMP"' EXIT
printf 'include %s/examples/lib/common.mk\nBIN := %s\nSWEEP := sweep.tsv\ninclude %s/examples/lib/sweep.mk\n' \
    "$GROK_TOP" "$GROK_BIN" "$GROK_TOP" >Makefile
tiny="--p 11 --frac 0.5 --d-model 16 --heads 2 --d-mlp 32 --steps 40 --eval-every 10"
{ printf 'name\tflags\n'; for s in 0 1 2; do printf 'seed%s\t%s --seed %s\n' "$s" "$tiny" "$s"; done; } >sweep.tsv

run make -n sweep
is_exit 0
[ "$(grep -c 'grok-train --p 11' "$TMP/stdout")" -eq 3 ] && [ ! -e out ]
ok $? "make -n sweep: the three grok-train commands, and nothing run"
grep -q -- "--seed 2 --threads 1 -q -o out/runs/seed2.h5" "$TMP/stdout"
ok $? "... each row's flags, one thread, its run's file"

run make -j2 sweep
is_exit 0
[ -s out/runs/seed0.h5 ] && [ -s out/runs/seed1.h5 ] && [ -s out/runs/seed2.h5 ] && [ -e out/logs/seed0.log ]
ok $? "make -j2 sweep: three runs and their logs"
grok-train $tiny --seed 1 --threads 1 -q -o direct.h5
data() { h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'; }
data direct.h5 >a.txt && data out/runs/seed1.h5 >b.txt && cmp -s a.txt b.txt
ok $? "a sweep's run is the run of its row's flags"
run make -q sweep
is_exit 0

# A run killed after a checkpoint: make continues it.
slow="--p 23 --frac 0.5 --d-model 32 --heads 2 --d-mlp 64 --steps 3000 --eval-every 100 --seed 7"
printf 'killed\t%s --checkpoint-every 20\n' "$slow" >>sweep.tsv
grok-train $slow --checkpoint-every 20 --threads 1 -q -o out/runs/killed.h5 &
pid=$!
for _ in $(seq 1 200); do [ -s out/runs/killed.h5.part ] && break; sleep 0.05; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -s out/runs/killed.h5.part ] && [ ! -e out/runs/killed.h5 ]
ok $? "a run killed mid-way leaves its checkpoint and no run"
run make sweep
is_exit 0
grep -q -- '--resume out/runs/killed.h5.part' "$TMP/stdout"
ok $? "make sweep resumes it from the checkpoint"
grok-train $slow --checkpoint-every 20 --threads 1 -q -o whole.h5
data whole.h5 >a.txt && data out/runs/killed.h5 >b.txt && cmp -s a.txt b.txt
ok $? "... to the bytes of an uninterrupted run"
[ ! -e out/runs/killed.h5.part ]
ok $? "... and the checkpoint is gone"

# A make stopped by SIGTERM to its whole process group (what Slurm's time limit and scancel
# send): grok-train writes its output so far, which must become a checkpoint to continue, not a
# run that the next make takes as finished.
printf 'stopped\t%s --checkpoint-every 20\n' "$slow" >>sweep.tsv
setsid make sweep >stopped.log 2>&1 &
for _ in $(seq 1 200); do [ -s out/runs/stopped.h5.part ] && break; sleep 0.05; done
pgid=$(ps -o pgid= -p "$(pgrep -f 'grok-train .*stopped.h5' | head -1)" | tr -d ' ')
kill -TERM "-$pgid"
for _ in $(seq 1 200); do pgrep -g "$pgid" >/dev/null || break; sleep 0.05; done
[ -s out/runs/stopped.h5.part ] && [ ! -e out/runs/stopped.h5 ]
ok $? "a make stopped by SIGTERM leaves the run's checkpoint and no run"
run make sweep
is_exit 0
grep -q -- '--resume out/runs/stopped.h5.part' "$TMP/stdout"
ok $? "make sweep resumes it"
data out/runs/stopped.h5 >b.txt && cmp -s a.txt b.txt
ok $? "... to the bytes of an uninterrupted run"

# The same sweep on Slurm.
PATH="$PATH:/usr/sbin"
if ! command -v slurmctld >/dev/null 2>&1; then
    for what in "Slurm: the array job runs every row" "Slurm: each task's run and log" \
                "Slurm: grok-fit gathers the sweep" "Slurm: a second submission redoes nothing"; do
        _n=$((_n + 1))
        echo "ok $_n # SKIP $what (Slurm is not installed: make deps)"
    done
    done_testing
    exit
fi
if ! env=$("$GROK_TOP/tools/slurm-local.sh" start "$TMP/slurm" 2>slurm.err); then
    sed 's/^/# /' slurm.err
    ok 1 "Slurm: a single-node cluster starts"
    done_testing
    exit
fi
eval "$env"
rm -rf out/runs out/logs
head -n 4 sweep.tsv >small.tsv && mv small.tsv sweep.tsv
wait_job() {   # wait_job ID: until squeue answers and no longer lists it (at most 120 s)
    for _ in $(seq 1 240); do
        # a failed squeue (the controller busy or not up yet) is no answer, not an empty queue
        listed=$(squeue -h -j "$1" 2>/dev/null) && [ -z "$listed" ] && return 0
        sleep 0.5
    done
    return 1
}
job=$(make -s slurm-sweep)
wait_job "$job"
ok $? "Slurm: the array job $job runs every row"
[ -s out/runs/seed0.h5 ] && [ -s out/runs/seed1.h5 ] && [ -s out/runs/seed2.h5 ] &&
    [ -e "out/logs/slurm-${job}_3.out" ] && [ -e out/logs/seed2.log ]
got=$?
ok $got "Slurm: each task's run and log"
[ $got -eq 0 ] || diag "job '$job'; out/:" $(ls -R out)
grok-fit -t out/runs/*.h5 | grep -v '^#' | cut -f1 >gathered
printf 'run\nout/runs/seed0.h5\nout/runs/seed1.h5\nout/runs/seed2.h5\n' | cmp -s - gathered
ok $? "Slurm: grok-fit gathers the sweep, one row per run"
stamp=$(ls -l --time-style=+%s.%N out/runs/seed1.h5)
job=$(make -s slurm-sweep)
wait_job "$job" && [ "$(ls -l --time-style=+%s.%N out/runs/seed1.h5)" = "$stamp" ]
ok $? "Slurm: a second submission redoes nothing"
done_testing
