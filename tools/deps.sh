#!/bin/sh
# Checks that the Debian packages grok needs are installed; installs the missing ones
# (with sudo when not root) unless called with --check, which only reports. With --bench it
# looks after the benchmark's packages instead (PyTorch and NumPy: bench/ only, never the build);
# with --fuzz, after the fuzz targets' (clang and its libFuzzer runtime: make fuzz, fuzz-ci only).
# On a system without dpkg it trusts pkg-config and says so.
set -eu

# python3-h5py: a test reads a run from Python; gnuplot-nox: make demo draws its plot;
# groff-base: tests/cli/t-man.sh formats the man pages; g++: tests/cli/t-headers.sh compiles
# the headers as C++; slurm-wlm and munge: tests/cli/t-sweep.sh submits a sweep to a real
# single-node Slurm (tools/slurm-local.sh); the examples' plots need gnuplot too.
check=0
bench=0
fuzz=0
for arg in "$@"; do
    case "$arg" in
    --check) check=1 ;;
    --bench) bench=1 ;;
    --fuzz) fuzz=1 ;;
    *) echo "deps: unknown argument '$arg' (--check, --bench, --fuzz)" >&2; exit 2 ;;
    esac
done

pkgs="libhdf5-dev liblapacke-dev libopenblas-dev libgsl-dev pkg-config hdf5-tools perl make gcc procps python3-h5py gnuplot-nox groff-base g++ slurm-wlm munge"
if [ "$bench" -eq 1 ]; then pkgs="python3-torch python3-numpy python3-h5py"; fi
# libclang-rt-dev holds libFuzzer and the sanitizer runtimes of clang.
if [ "$fuzz" -eq 1 ]; then pkgs="clang libclang-rt-dev"; fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    if pkg-config --exists hdf5 gsl lapacke 2>/dev/null; then exit 0; fi
    echo "deps: not a Debian system; install HDF5 (+hl), LAPACKE, OpenBLAS, GSL and pkg-config yourself" >&2
    exit 1
fi

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$check" -eq 1 ]; then
    target=deps
    if [ "$bench" -eq 1 ]; then target=bench-deps; fi
    if [ "$fuzz" -eq 1 ]; then target=fuzz-deps; fi
    echo "deps: missing Debian packages:$missing (run: make $target)" >&2
    exit 1
fi

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
