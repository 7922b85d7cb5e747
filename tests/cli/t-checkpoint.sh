#!/bin/sh
# Checkpoints: a run killed at any moment continues from its checkpoint to the data an
# uninterrupted run has; checkpoints leave the finished run's data alone; nothing piles up;
# an interrupted pipeline keeps its run in a file it names.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
model="--p 23 --frac 0.5 --d-model 32 --heads 4 --d-mlp 64 --eval-every 50 --snapshot-every 100 -q"

# data FILE: the whole run as h5dump prints it, but for its name and its history (which records
# the command lines).
data() {
    h5dump "$1" | sed '1d;/ATTRIBUTE "history"/,/^   }/d'
}

# wait_for FILE: up to 20 s for FILE to exist.
wait_for() {
    _i=0
    while [ ! -f "$1" ] && [ "$_i" -lt 200 ]; do sleep 0.1; _i=$((_i + 1)); done
}

grok-train $model --steps 3000 --checkpoint-every 0 -o ref.h5
data ref.h5 >ref.txt

# Checkpoints taken or not, the finished run holds the same data, and the checkpoint goes.
run grok-train $model --steps 3000 --checkpoint-every 100 -o k.h5
is_exit 0
data k.h5 >k.txt
cmp -s ref.txt k.txt
ok $? "checkpoints every 100 steps leave the finished run's data as without them"
[ ! -e k.h5.part ] && [ -z "$(ls -A | grep '\.tmp')" ]
ok $? "... and no checkpoint or temporary file is left once the run is written"

# SIGKILL at three moments after the first checkpoint: the checkpoint is a run that
# --resume continues to the uninterrupted run's data.
for wait in 0 0.1 0.2; do
    rm -f k.h5 k.h5.part
    grok-train $model --steps 3000 --checkpoint-every 20 -o k.h5 &
    pid=$!
    wait_for k.h5.part
    sleep "$wait"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ ! -e k.h5 ] && grok-snap -l k.h5.part >/dev/null
    ok $? "killed ${wait}s after its first checkpoint: no k.h5, and k.h5.part is a complete run"
    run grok-train --resume k.h5.part -q -o k.h5
    is_exit 0
    data k.h5 >k.txt
    cmp -s ref.txt k.txt
    ok $? "... whose continuation holds the data of the run made in one go"
    [ ! -e k.h5.part ]
    ok $? "... and the checkpoint continued is gone once the run is written"
done

# A killed program's temporary file goes when the same output is written again; one that a
# live program holds (locked) stays.
: >.k.h5.tmpAAAAAA
: >.k.h5.tmpBBBBBB
touch -d '1 minute ago' .k.h5.tmpAAAAAA .k.h5.tmpBBBBBB
/usr/bin/python3 -c '
import fcntl, sys, time
f = open(".k.h5.tmpBBBBBB", "r+"); fcntl.lockf(f, fcntl.LOCK_EX); open("locked", "w").close()
time.sleep(30)' &
holder=$!
wait_for locked
run grok-train $model --steps 10 -o k.h5
is_exit 0
[ ! -e .k.h5.tmpAAAAAA ] && [ -e .k.h5.tmpBBBBBB ]
ok $? "writing k.h5 removes the unlocked .k.h5.tmpAAAAAA, keeps the locked .k.h5.tmpBBBBBB"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -f .k.h5.tmpBBBBBB

# An interrupted stream (its reader interrupted with it, as by Ctrl-C on a pipeline): the run
# is kept in grok-train-HASH.part, named on stderr, and continues from there.
mkfifo pipe
grok-train $model --steps 3000000 --checkpoint-every 0.1s >pipe 2>err &
pid=$!
cat pipe >streamed.h5 &
reader=$!
part=
for i in $(seq 200); do
    part=$(ls grok-train-*.part 2>/dev/null | head -1)
    [ -n "$part" ] && break
    sleep 0.1
done
kill -INT "$pid"
wait "$pid"
ok $(($? == 130 ? 0 : 1)) "an interrupted grok-train to a pipe exits 130"
wait "$reader"
sed -E 's/step [0-9]+/step N/; s/grok-train-[0-9a-f]{8}\.part/grok-train-HASH.part/g' err >got
printf '%s\n' "grok-train: interrupted at step N; the run is kept in grok-train-HASH.part (grok-train --resume grok-train-HASH.part continues it)" >want
cmp -s want got
ok $? "... and says where the run is kept"
[ -n "$part" ] && grok-snap -l "$part" >/dev/null && grok-snap -l streamed.h5 >/dev/null
ok $? "... which is a complete run, as is what reached the pipe"
run grok-train --resume "$part" --steps 3000 -q -o k.h5
is_exit 0
data k.h5 >k.txt
cmp -s ref.txt k.txt && [ ! -e "$part" ]
ok $? "... that --resume continues to the data of the run made in one go, removing it"

# Refusals.
run grok-train $model --steps 10 --checkpoint-every 5x -o k.h5
is_exit 2
is_stderr "grok-train: --checkpoint-every '5x': not a number of steps or a time (60s, 5m, 1h) (see grok-train --help)"
run grok-train $model --steps 10 --checkpoint-every 2.5 -o k.h5
is_exit 2
is_stderr "grok-train: --checkpoint-every 2.5: a number of steps is a whole number up to 2^40 (a time needs its unit: s, m or h) (see grok-train --help)"
run grok-train $model --steps 10 --checkpoint k.h5 -o k.h5
is_exit 2
is_stderr "grok-train: --checkpoint 'k.h5': a file of its own, not the output (see grok-train --help)"
run grok-train $model --steps 10 --checkpoint-every 1 --checkpoint nodir/k.part -o k.h5
is_exit 1
is_stderr "grok-train: nodir/k.part: cannot create: No such file or directory"

# A /state step past the run's own end is the run's fault (exit 1), not the command line's.
if has_h5py; then
    cp ref.h5 past.h5
    /usr/bin/python3 -c "import h5py, numpy; f = h5py.File('past.h5', 'r+'); f['state'].attrs['step'] = numpy.int64(999999); f.close()"
    run grok-train --resume past.h5 -q -o k2.h5
    is_exit 1
    is_stderr "grok-train: past.h5: /state@step 999999 is past the run's end (/config@steps 3000)"
    run grok-train --resume past.h5 --steps 4000 -q -o k2.h5
    is_exit 2
    is_stderr "grok-train: --steps 4000: past.h5 is already at step 999999 (see grok-train --help)"
    # A step column out of order is refused where the continuation reads it.
    cp ref.h5 unsorted.h5
    /usr/bin/python3 -c "import h5py; f = h5py.File('unsorted.h5', 'r+'); f['snapshots/step'][3] = 0; f.close()"
    run grok-train --resume unsorted.h5 -q -o k2.h5
    is_exit 1
    is_stderr "grok-train: unsorted.h5: /snapshots/step is not increasing (row 4: 0 after 200)"
else
    ok 0 "# SKIP python3-h5py is not installed"
fi

done_testing
