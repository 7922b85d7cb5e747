# TAP helpers for the program tests (after git's t/). Source it; the Makefile sets
# GROK_BIN (the programs), GROK_TESTBIN (grok-fixture) and GROK_TOP (the source tree).
set -u
: "${GROK_BIN:?run the tests through make check}"
PATH="$GROK_BIN:$GROK_TESTBIN:$PATH"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/grok-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A fixed clock makes the history attribute, and so whole runs, reproducible.
export SOURCE_DATE_EPOCH=1700000000
export LC_ALL=C
_n=0
_failed=0

ok() { # ok STATUS DESCRIPTION: STATUS 0 passes
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_n - $2"
    else
        echo "not ok $_n - $2"
        _failed=$((_failed + 1))
    fi
}

diag() { printf '# %s\n' "$@"; }

# run CMD...: runs it with stdout in $TMP/stdout, stderr in $TMP/stderr, status in $RC.
run() {
    RC=0
    "$@" >"$TMP/stdout" 2>"$TMP/stderr" || RC=$?
    LAST="$*"
}

is_exit() {
    [ "$RC" -eq "$1" ]
    ok $? "exit $1: $LAST"
    [ "$RC" -eq "$1" ] || { diag "got exit $RC"; sed 's/^/# stderr: /' "$TMP/stderr"; }
}

# is_stderr LINE: stderr is exactly that one line.
is_stderr() {
    printf '%s\n' "$1" >"$TMP/want"
    cmp -s "$TMP/want" "$TMP/stderr"
    ok $? "stderr: $1"
    cmp -s "$TMP/want" "$TMP/stderr" || sed 's/^/# got: /' "$TMP/stderr"
}

is_stderr_empty() {
    [ ! -s "$TMP/stderr" ]
    ok $? "stderr is empty"
    [ ! -s "$TMP/stderr" ] || sed 's/^/# got: /' "$TMP/stderr"
}

# is_stdout TEXT: stdout is exactly TEXT (with a final newline).
is_stdout() {
    printf '%s\n' "$1" >"$TMP/want"
    cmp -s "$TMP/want" "$TMP/stdout"
    ok $? "${2:-stdout as expected}"
    cmp -s "$TMP/want" "$TMP/stdout" || diff "$TMP/want" "$TMP/stdout" | sed 's/^/# /'
}

is_stdout_empty() {
    [ ! -s "$TMP/stdout" ]
    ok $? "stdout is empty"
}

# has_h5py: whether Debian's Python, the one tools/deps.sh gives python3-h5py, has h5py and numpy
# (a second Python first on PATH may lack them).
has_h5py() { /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; }

# skip_all_without_h5py: a test file that needs h5py throughout ends here, with a TAP skip line,
# where it is absent.
skip_all_without_h5py() {
    has_h5py && return 0
    ok 0 "# SKIP python3-h5py or python3-numpy is not installed"
    done_testing
    exit 0
}

# doctored_steps RUN NAME KIND [ROW=VALUE ...]: NAME is RUN with /snapshots/step of numpy type
# KIND and the listed rows changed (tests/python/steps.py).
doctored_steps() { /usr/bin/python3 "$GROK_TOP/tests/python/steps.py" "$@"; }

# same_groups A B GROUP...: the groups print identically with h5dump (names of the files aside).
same_groups() {
    a=$1 b=$2
    shift 2
    for g in "$@"; do
        h5dump -g "/$g" "$a" | tail -n +2 >"$TMP/ga" && h5dump -g "/$g" "$b" | tail -n +2 >"$TMP/gb" &&
            cmp -s "$TMP/ga" "$TMP/gb" || return 1
    done
}

done_testing() {
    echo "1..$_n"
    [ "$_failed" -eq 0 ]
}
