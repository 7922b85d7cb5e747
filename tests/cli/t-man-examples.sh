#!/bin/sh
# Every command in the EXAMPLES of every man page, and in every program's --help, runs and
# succeeds (silently) on a fixture run.h5.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
# The examples train for real, but 20 steps each: a shim ahead of grok-train in PATH caps them,
# and (unless it resumes, which keeps the run's cadence) evaluates and snapshots every 4 steps,
# so that the analyses downstream have a trajectory.
mkdir shim
cat >shim/grok-train <<EOF
#!/bin/sh
case " \$* " in *" --resume "*) exec "$GROK_BIN/grok-train" "\$@" --steps 20 ;; esac
exec "$GROK_BIN/grok-train" "\$@" --steps 20 --eval-every 4 --snapshot-every 4
EOF
chmod +x shim/grok-train
PATH="$TMP/shim:$PATH"

# run_examples WHERE FILE: one test per command line of FILE.
run_examples() {
    [ -s "$2" ]
    ok $? "$1 has examples"
    while IFS= read -r cmd; do
        run sh -c "$cmd"
        [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
        ok $? "$1: $cmd"
        [ "$RC" -eq 0 ] || sed 's/^/# /' "$TMP/stderr"
    done <"$2"
}

for page in "$GROK_TOP"/doc/*.1; do
    # Lines between .EX and .EE, with roff's escapes undone.
    sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p}' "$page" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$TMP/examples"
    run_examples "$(basename "$page")" "$TMP/examples"
done
for prog in "$GROK_BIN"/grok-*; do
    "$prog" --help | sed -n 's/^  \(grok-.*\)/\1/p' >"$TMP/examples"
    run_examples "$(basename "$prog") --help" "$TMP/examples"
done
[ "$(head -1 W_E.tsv)" = "# run: run.h5" ] && [ -s small.h5 ] && [ -s state.h5 ] && [ -s metrics.tsv ]
ok $? "the examples wrote their files"
done_testing
