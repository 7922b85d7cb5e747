#!/bin/sh
# Faults in writing: a full disk, a read-only folder, a folder that vanishes mid-run, a full
# standard output. Each is one line naming the file and the OS error, exit 1, no crash, the
# previous output untouched, no temporary file left. The file systems are small tmpfs mounts,
# made where this user may mount (root); skipped elsewhere.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
model="--p 23 --frac 0.5 --d-model 32 --heads 4 --d-mlp 64 --snapshot-every 100 -q"
grok-train $model --steps 300 -o run.h5

# nothing_left DIR: DIR holds only the file "old", unchanged.
nothing_left() {
    [ "$(ls -A "$1")" = "old" ] && [ "$(cat "$1/old")" = "previous output" ]
}

mkdir small ro
mounted=0
if mount -t tmpfs -o size=200k tmpfs small 2>/dev/null; then
    mounted=1
    if mount -t tmpfs -o ro,size=64k tmpfs ro 2>/dev/null; then mounted=2; fi
fi
cleanup() {
    umount "$TMP/small" 2>/dev/null
    umount "$TMP/ro" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$mounted" -ge 1 ]; then
    echo "previous output" >small/old
    # grok-train's run, an analysis's run, a cut, a table: each larger than the 200 KiB left.
    run grok-train $model --steps 300 -o small/old
    is_exit 1
    is_stderr "grok-train: small/old: write failed: No space left on device"
    nothing_left small
    ok $? "... the previous output kept, no temporary file left"

    run grok-pca -q run.h5 -o small/old
    is_exit 1
    is_stderr "grok-pca: small/old: write failed: No space left on device"
    run grok-snap run.h5 -o small/old
    is_exit 1
    is_stderr "grok-snap: small/old: write failed: No space left on device"
    run grok-fourier -q run.h5 -o small/old
    is_exit 1
    is_stderr "grok-fourier: small/old: write failed: No space left on device"
    nothing_left small
    ok $? "... the previous output kept, no temporary file left"

    # A checkpoint that does not fit stops the training at once, with the file's name.
    run grok-train $model --steps 300 --checkpoint-every 100 --checkpoint small/k.part -o big.h5
    is_exit 1
    is_stderr "grok-train: small/k.part: write failed: No space left on device"
    [ ! -e big.h5 ] && nothing_left small
    ok $? "... no run, no checkpoint, no temporary file"

    # A table, on a disk filled to the last block.
    dd if=/dev/zero of=small/fill bs=1k 2>/dev/null
    run grok-snap -t metrics run.h5 -o small/m.tsv
    is_exit 1
    is_stderr "grok-snap: small/m.tsv: write failed: No space left on device"
    rm -f small/fill
    nothing_left small
    ok $? "... no table, no temporary file"
else
    ok 0 "# SKIP cannot mount a tmpfs here (not root)"
fi

if [ "$mounted" -ge 2 ]; then
    run grok-train $model --steps 10 -o ro/k.h5
    is_exit 1
    is_stderr "grok-train: ro/k.h5: cannot create: Read-only file system"
    run grok-pca -q run.h5 -o ro/p.h5
    is_exit 1
    is_stderr "grok-pca: ro/p.h5: cannot create: Read-only file system"
else
    ok 0 "# SKIP cannot mount a read-only tmpfs here (not root)"
fi

# The output's folder removed while the run trains: the run cannot be put in place.
mkdir gone
grok-train $model --steps 5000 -o gone/k.h5 2>err &
pid=$!
for i in $(seq 200); do
    [ -n "$(ls -A gone)" ] && break
    sleep 0.1
done
rm -rf gone
wait "$pid"
ok $(($? == 1 ? 0 : 1)) "the output's folder removed mid-run: exit 1"
printf '%s\n' "grok-train: gone/k.h5: cannot rename into place: No such file or directory" >want
cmp -s want err
ok $? "... one line naming the file and the OS error"
[ "$(wc -l <err)" -eq 1 ] || sed 's/^/# got: /' err

# A full standard output.
run sh -c "grok-train $model --steps 10 >/dev/full"
is_exit 1
is_stderr "grok-train: stdout: write failed: No space left on device"
run sh -c "grok-pca -q run.h5 >/dev/full"
is_exit 1
is_stderr "grok-pca: stdout: write failed: No space left on device"

done_testing
