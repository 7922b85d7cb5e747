#!/bin/sh
# Checks that the Debian packages grok needs are installed; installs the missing ones
# (with sudo when not root) unless called with --check, which only reports.
# On a system without dpkg it trusts pkg-config and says so.
set -eu

# python3-h5py: a test reads a run from Python; gnuplot-nox: make demo draws its plot.
pkgs="libhdf5-dev liblapacke-dev libopenblas-dev libgsl-dev pkg-config hdf5-tools perl make gcc procps python3-h5py gnuplot-nox"

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

if [ "${1:-}" = "--check" ]; then
    echo "deps: missing Debian packages:$missing (run: make deps)" >&2
    exit 1
fi

echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
