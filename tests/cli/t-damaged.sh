#!/bin/sh
# Damaged runs (doc/robustness.md): bytes of a run changed at fixed offsets, so that the HDF5
# library refuses the file, or faults on it. Either way a program prints one line and exits 1,
# and leaves no output behind. The run is the fuzz corpus's tiny transformer, a file of the
# repository: the offsets hit the same objects whatever grok-train writes today. Each damage
# was found by tools/flip-runs.sh and cut down to the one byte that does it.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1

RUN=$GROK_TOP/tests/fuzz/corpus-run/transformer.h5

# damage OUT OFFSET:XOR...: a copy of RUN with each byte at OFFSET XORed with XOR.
damage() {
    out=$1
    shift
    cp "$RUN" "$out"
    perl -e 'my $f = shift; open(my $h, "+<", $f) or die; binmode $h;
             for (@ARGV) { my ($at, $x) = split /:/; seek($h, $at, 0); read($h, my $b, 1);
                           seek($h, $at, 0); print $h chr(ord($b) ^ $x) }
             close $h or die' "$out" "$@"
}

# The undamaged run reads.
mkdir out
run grok-snap -q -o out/cut.h5 "$RUN"
is_exit 0

# ---- HDF5 refuses: a byte of the superblock, whose checksum then fails ----
damage super.h5 20:1
for prog in grok-snap grok-pca grok-fourier; do
    run "$prog" -q -o out/x.h5 super.h5
    is_exit 1
    is_stderr "$prog: super.h5: not a complete HDF5 file"
done

# ---- a snapshot's object header: grok-snap's cut cannot read it; the analyses, copying the
# run as their output starts, make HDF5 free a block twice (glibc aborts: signal 6) ----
damage header.h5 117297:90
run grok-snap -q -o out/x.h5 header.h5
is_exit 1
is_stderr "grok-snap: header.h5: cannot read /snapshots/blocks.0.attn.W_O (damaged file?)"

# ---- HDF5 faults (a bad pointer, signal 11, or a double free that glibc aborts on, signal 6:
# which one depends on the order of HDF5's reads, so either is taken) ----
damage fault.h5 155740:136

# A fault inside HDF5 is reported by AddressSanitizer itself, with its trace, in the sanitizer
# build (lib/cli.c installs no handler there).
if [ -n "${ASAN_OPTIONS:-}" ]; then
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        _n=$((_n + 1))
        echo "ok $_n # skip a fault inside HDF5 is AddressSanitizer's to report"
    done
else
    for prog in grok-pca grok-fourier; do
        run "$prog" -q -o out/x.h5 header.h5
        is_exit 1
        # Nothing before the line: glibc's "free(): double free detected in tcache 2" is kept away.
        is_stderr "$prog: damaged HDF5 input: crashed on signal 6 reading it (if the input is sound, it is a bug)"
    done
    for prog in grok-snap grok-pca grok-fourier; do
        run "$prog" -q -o out/x.h5 fault.h5
        is_exit 1
        sed -E 's/signal (6|11) /signal N /' "$TMP/stderr" >"$TMP/stderr.n" && mv "$TMP/stderr.n" "$TMP/stderr"
        is_stderr "$prog: damaged HDF5 input: crashed on signal N reading it (if the input is sound, it is a bug)"
    done
    # Through a pipe too: the run is read whole into memory (grok_run_open_image). There HDF5
    # reads past what the damage points it to in memory, not in a file, and what it meets
    # decides: it faults, or it refuses the group. One line and exit 1 either way.
    run sh -c "cat fault.h5 | grok-pca -q -o out/x.h5"
    is_exit 1
    [ "$(wc -l <"$TMP/stderr")" -eq 1 ] && grep -qx \
        -e "grok-pca: damaged HDF5 input: crashed on signal 11 reading it (if the input is sound, it is a bug)" \
        -e "grok-pca: damaged HDF5 input: crashed on signal 6 reading it (if the input is sound, it is a bug)" \
        -e "grok-pca: stdin: /snapshots is not a readable group" "$TMP/stderr"
    ok $? "stderr: the one line of a fault or of a refusal"
    sed 's/^/# got: /' "$TMP/stderr"
fi

# No output and no temporary file left by any of them.
[ "$(ls -A out)" = "cut.h5" ]
ok $? "only the undamaged run's output in out/ ($(ls -A out | tr '\n' ' '))"

done_testing
