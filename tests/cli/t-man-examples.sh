#!/bin/sh
# Every command in the EXAMPLES of every man page runs and succeeds on a fixture run.h5.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
grok-fixture run.h5
for page in "$GROK_TOP"/doc/*.1; do
    # Lines between .EX and .EE, with roff's escapes undone.
    sed -n '/^\.EX/,/^\.EE/{/^\.E[XE]/d;p}' "$page" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$TMP/examples"
    [ -s "$TMP/examples" ]
    ok $? "$(basename "$page") has examples"
    while IFS= read -r cmd; do
        run sh -c "$cmd"
        [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
        ok $? "$(basename "$page"): $cmd"
        [ "$RC" -eq 0 ] || sed 's/^/# /' "$TMP/stderr"
    done <"$TMP/examples"
done
# The examples of every program's --help too.
for prog in "$GROK_BIN"/grok-*; do
    "$prog" --help | sed -n 's/^  \(grok-.*\)/\1/p' >"$TMP/examples"
    [ -s "$TMP/examples" ]
    ok $? "$(basename "$prog") --help has examples"
    while IFS= read -r cmd; do
        run sh -c "$cmd"
        [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
        ok $? "$(basename "$prog") --help: $cmd"
        [ "$RC" -eq 0 ] || sed 's/^/# /' "$TMP/stderr"
    done <"$TMP/examples"
done
[ "$(head -1 W_E.tsv)" = "# run: run.h5" ] && [ -s small.h5 ] && [ -s state.h5 ] && [ -s metrics.tsv ]
ok $? "the examples wrote their files"
done_testing
