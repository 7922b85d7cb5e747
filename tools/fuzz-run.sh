#!/bin/sh
# Runs the run reader's fuzz target (tests/fuzz/fuzz-run.c) for SECONDS and sorts what it found.
# HDF5 is not instrumented and faults on some damaged files by itself, so libFuzzer runs in fork
# mode and goes on past a crash (-ignore_crashes); afterwards each saved input is run once more
# and its report put down to the code at fault:
#   hdf5  the first frame of the report outside the sanitizer runtime and libc is in libhdf5,
#         and the memory at fault (if the report names an allocation) was not allocated by grok
#   ours  that frame is in grok's code or the fuzz target (a broken invariant traps there), the
#         memory at fault is grok's, or the report is a UBSan error or a leak (HDF5's own leaks
#         are suppressed in tests/fuzz/hdf5.supp)
#   other neither (an out-of-memory without a stack, say), or the input did not fail again
#         (from memory HDF5 may read what lies past the image, which differs from run to run):
#         listed, not failed
# Exits 1 when anything is grok's, printing its report; HDF5's are counted and listed.
# Usage: tools/fuzz-run.sh TARGET SECONDS CORPUS [SEED_DIR...]   (make fuzz, make fuzz-ci)
set -eu
target=$1 seconds=$2 corpus=$3
shift 3
top=$(cd "$(dirname "$0")/.." && pwd)
art=$corpus.artifacts
rm -rf "$art"
mkdir -p "$art" "$corpus"
export LSAN_OPTIONS="suppressions=$top/tests/fuzz/hdf5.supp:print_suppressions=0"
# ASan's fill of new blocks costs a third of the time on the megabytes HDF5 allocates.
export ASAN_OPTIONS="max_malloc_fill_size=0"
"$target" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 -timeout=20 \
    -rss_limit_mb=4096 -max_total_time="$seconds" -artifact_prefix="$art/" "$corpus" "$@" \
    >"$art/log" 2>&1 || true
grep -E '^#[0-9]+: ' "$art/log" | tail -n 1 || true

# Sorts one report (on stdin) as hdf5, ours or other.
classify() {
    awk '
        # A frame of grok: a source file of this tree (lib/, tests/fuzz/).
        function ours(l) { return l ~ /(^|[ \/])lib\/[a-z_0-9]+\.[ch]:/ || l ~ /tests\/fuzz\/[a-z-]+\.c:/ }
        function hdf5(l) { return l ~ /libhdf5/ }
        /runtime error:/ && ours($0) { ub = 1 }
        /ERROR: LeakSanitizer/ { leak = 1 }
        /allocated by thread|freed by thread|previously allocated/ { part = "alloc" }
        /^    #[0-9]+ / {
            if (part == "alloc") { if (!afirst && (ours($0) || hdf5($0))) afirst = ours($0) ? "ours" : "hdf5" }
            else if (!first && (ours($0) || hdf5($0))) first = ours($0) ? "ours" : "hdf5"
        }
        END {
            if (ub || leak || first == "ours" || afirst == "ours") print "ours"
            else if (first == "hdf5") print "hdf5"
            else print "other"
        }'
}

n_hdf5=0 n_ours=0 n_other=0
for f in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
    [ -e "$f" ] || continue
    "$target" -timeout=20 -rss_limit_mb=4096 "$f" >"$f.report" 2>&1 || true
    where=$(classify <"$f.report")
    case $where in
    ours) n_ours=$((n_ours + 1)); echo "fuzz-run: in grok's code: $f"; grep -E 'ERROR|runtime error|^    #' "$f.report" | head -n 30 ;;
    hdf5) n_hdf5=$((n_hdf5 + 1)); echo "fuzz-run: in HDF5: $f ($(grep -m 1 -o 'ERROR: [A-Za-z]*: [A-Za-z-]*' "$f.report" || echo fault))" ;;
    *)
        n_other=$((n_other + 1))
        if grep -q 'ERROR' "$f.report"; then
            echo "fuzz-run: elsewhere: $f"
            grep -E 'ERROR|^==' "$f.report" | head -n 5
        else
            echo "fuzz-run: did not fail again: $f"
        fi
        ;;
    esac
done
echo "fuzz-run: $n_ours in grok's code, $n_hdf5 in HDF5, $n_other elsewhere (inputs and reports in $art)"
[ "$n_ours" -eq 0 ]
