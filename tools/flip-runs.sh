#!/bin/sh
# The damaged-run experiment of doc/robustness.md: COPIES copies of a small run, each with 1 to 32
# of its bytes changed at random (seed i changes 2^(i mod 6) bytes, each XORed with a random
# non-zero value), each read by grok-snap (a cut: "cut"), grok-pca and grok-fourier (the three
# read the run's every group, and copy it as their output starts), and every program's end sorted
# into a class:
#   ok         exit 0 (the damage hit bytes the program does not use, or values it accepts)
#   refused    exit 1 and one line on stderr, not a crash: the damage was seen and named
#   crash      exit 1 and the one line of the fatal-signal handler (lib/cli.c)
#   multiline  more than one line on stderr, or a line but not exit 1
#   sanitizer  an AddressSanitizer or UBSan report (programs built with make SANITIZE=1)
#   killed     ended by a signal the handler did not catch; hang: still running after 60 s
# Then each crash is run again under gdb and put down to the code it happened in: the first frame
# of the backtrace outside libc is in libhdf5 ("hdf5") or in grok's own code ("ours").
#
# Usage: tools/flip-runs.sh [-n COPIES] [-j JOBS] [-b BINDIR] [-o DIR] [-r] [RUN]
#   -n  copies (default 10000); -j  copies read at once (default 2)
#   -b  the programs (default bin; build-san/bin for the sanitizer build)
#   -o  where the results and each unusual copy are kept (default a new folder in /tmp)
#   -r  run nothing: print the tables of the results already in -o DIR
#   RUN the run to damage (default tests/fuzz/corpus-run/transformer.h5, a tiny transformer's run:
#       a file of the repository, so that a seed damages the same bytes on every machine)
# Prints the table of classes per program and the triage of the crashes; needs perl and gdb.
set -eu

if [ "${1:-}" = "--trial" ]; then
    # One batch of seeds, run by xargs: prints "seed flips program class detail" per program.
    shift
    bin=$1 run=$2 out=$3
    shift 3
    size=$(wc -c <"$run")
    work=$(mktemp -d "${TMPDIR:-/tmp}/grok-flip.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    for seed in "$@"; do
        flips=$((1 << (seed % 6)))
        cp "$run" "$work/in.h5"
        perl -e 'my ($f, $size, $seed, $n) = @ARGV; srand($seed);
                 open(my $h, "+<", $f) or die; binmode $h;
                 for (1 .. $n) { my $at = int(rand($size)); my $x = 1 + int(rand(255));
                                 seek($h, $at, 0); read($h, my $b, 1); seek($h, $at, 0);
                                 print $h chr(ord($b) ^ $x) }
                 close($h) or die' "$work/in.h5" "$size" "$seed" "$flips"
        for prog in cut pca fourier; do
            case $prog in
            cut) set -- "$bin/grok-snap" -q -o "$work/out.h5" "$work/in.h5" ;;
            pca) set -- "$bin/grok-pca" -q -o "$work/out.h5" "$work/in.h5" ;;
            fourier) set -- "$bin/grok-fourier" -q -o "$work/out.h5" "$work/in.h5" ;;
            esac
            rc=0
            timeout 60 "$@" >/dev/null 2>"$work/err" </dev/null || rc=$?
            rm -f "$work/out.h5"
            lines=$(wc -l <"$work/err")
            first=$(head -n 1 "$work/err" | sed "s|$work/||g")
            if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/err"; then
                class=sanitizer
            elif [ "$rc" -eq 124 ]; then
                class=hang
            elif [ "$rc" -gt 128 ]; then
                class=killed
            elif [ "$rc" -eq 0 ] && [ "$lines" -eq 0 ]; then
                class=ok
            elif [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ]; then
                class=multiline
            else
                case $first in
                *": damaged HDF5 input: crashed on signal"*) class=crash ;;
                *) class=refused ;;
                esac
            fi
            case $class in
            ok | refused) ;;
            *)
                cp "$work/in.h5" "$out/seed-$seed.h5"
                sed "s|$work/||g" "$work/err" >"$out/seed-$seed.$prog.err"
                ;;
            esac
            printf '%s\t%s\t%s\t%s\t%s\n' "$seed" "$flips" "$prog" "$class" "$first"
        done
    done
    exit 0
fi

if [ "${1:-}" = "--triage" ]; then
    # One kept crash under gdb: prints "seed program where frame" (where: hdf5, ours, other).
    bin=$2 out=$3 seed=$4 prog=$5
    case $prog in
    cut) set -- "$bin/grok-snap" -q -o "$out/gdb-$seed.h5" ;;
    pca) set -- "$bin/grok-pca" -q -o "$out/gdb-$seed.h5" ;;
    fourier) set -- "$bin/grok-fourier" -q -o "$out/gdb-$seed.h5" ;;
    esac
    frame=$(gdb -nx -batch -ex 'set confirm off' -ex run -ex bt --args "$@" "$out/seed-$seed.h5" 2>&1 </dev/null |
        grep '^#[0-9]' |
        grep -v 'libc\.so\|/nptl/\|/malloc/\|/stdlib/\|/posix/\|/signal/\|/sysdeps/\|/string/\|__pthread_kill\|raise\|abort\|malloc_printerr\|_int_free\|__libc_\|__GI_\|<signal handler called>' |
        head -n 1) || true
    rm -f "$out/gdb-$seed.h5"
    case $frame in
    *libhdf5*) where=hdf5 ;;
    *" at lib/"* | *" at cmd/"*) where=ours ;;
    *) where=other ;;
    esac
    fn=$(printf '%s\n' "$frame" | sed -n 's/^#[0-9]* *\(0x[0-9a-f]* in \)\{0,1\}\([^ ]*\).*/\2/p')
    printf '%s\t%s\t%s\t%s\n' "$seed" "$prog" "$where" "$fn"
    exit 0
fi

copies=10000 jobs=2 bin=bin out="" report=0
while getopts n:j:b:o:r opt; do
    case $opt in
    n) copies=$OPTARG ;;
    j) jobs=$OPTARG ;;
    b) bin=$OPTARG ;;
    o) out=$OPTARG ;;
    r) report=1 ;;
    *) echo "usage: tools/flip-runs.sh [-n COPIES] [-j JOBS] [-b BINDIR] [-o DIR] [-r] [RUN]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/grok-flip-runs.XXXXXX")
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$report" -eq 0 ]; then
    bin=$(cd "$bin" && pwd)
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    run=${1:-$(dirname "$self")/../tests/fuzz/corpus-run/transformer.h5}
    run=$(cd "$(dirname "$run")" && pwd)/$(basename "$run")
    # OpenBLAS starts a thread per core when a program loads it: a third of a program's time.
    export OPENBLAS_NUM_THREADS=1
    start=$(date +%s)
    seq 1 "$copies" | xargs -n 50 -P "$jobs" "$self" --trial "$bin" "$run" "$out" >"$out/results.tsv"
    awk -F'\t' '$4 == "crash" {print $1 "\t" $3}' "$out/results.tsv" |
        xargs -r -n 2 -P "$jobs" "$self" --triage "$bin" "$out" >"$out/triage.tsv"
    echo "# $copies damaged copies of $(basename "$run") ($(wc -c <"$run") bytes), $(date -u +%F)," \
        "$(($(date +%s) - start)) s, programs in $bin"
fi
awk -F'\t' '
    { n[$3]++; c[$3 "\t" $4]++; seen[$3] = 1 }
    END {
        split("ok refused crash multiline sanitizer killed hang", cls, " ")
        printf "| program |"; for (i = 1; i <= 7; i++) printf " %s |", cls[i]; printf "\n"
        printf "| --- |"; for (i = 1; i <= 7; i++) printf " ---: |"; printf "\n"
        split("cut pca fourier", progs, " ")
        for (p = 1; p <= 3; p++) {
            if (!seen[progs[p]]) continue
            printf "| %s |", progs[p]
            for (i = 1; i <= 7; i++) printf " %d |", c[progs[p] "\t" cls[i]]
            printf "\n"
        }
    }' "$out/results.tsv"
echo
echo "# crashes by where they happened (first frame outside libc) and function"
awk -F'\t' '{k[$3 "\t" $4]++} END {for (x in k) printf "%d\t%s\n", k[x], x}' "$out/triage.tsv" | sort -rn
echo
echo "# results: $out/results.tsv, $out/triage.tsv; unusual copies and their stderr kept there"
