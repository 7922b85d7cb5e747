# What bench/'s shell scripts share; source it.

# secs CMD...: wall seconds of CMD.
secs() {
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

# median: of the numbers on standard input, one per line.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# scratch NAME: a scratch directory in $dir, removed when the script exits.
scratch() {
    dir=$(mktemp -d "${TMPDIR:-/tmp}/grok-$1.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
}
