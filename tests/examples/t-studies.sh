#!/bin/sh
# Every study in examples/ builds its reduced setting (make SMALL=1 report) with these programs,
# and leaves every figure it promises and a REPORT.md, none of them empty, with no number left
# blank. `make examples-check` runs it (CI does, after make check: the builds take about ten
# minutes, too long for every make check). Skipped under the sanitizers, where the runs take
# several times as long.
. "$(dirname "$0")/../cli/tap.sh"
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "1..0 # SKIP the examples' builds are checked without the sanitizers"
    exit 0
fi
for mk in "$GROK_TOP"/examples/*/Makefile; do
    dir=$(dirname "$mk")
    name=$(basename "$dir")
    out=$TMP/$name
    run make -j2 -C "$dir" SMALL=1 OUT="$out" BIN="$GROK_BIN" report
    is_exit 0
    [ "$RC" -eq 0 ] || tail -n 20 "$TMP/stderr" | sed 's/^/# /'
    [ -s "$out/REPORT.md" ]
    ok $? "$name: REPORT.md"
    figs=$(sed -n 's/.*](\(figures\/[^)]*\.png\)).*/\1/p' "$out/REPORT.md")
    [ -n "$figs" ]
    ok $? "$name: the report embeds figures"
    missing=0
    for f in $figs; do [ -s "$out/$f" ] || { missing=1; diag "missing: $f"; }; done
    ok $missing "$name: every figure it embeds is there and not empty"
    ! grep -q '| |\|||' "$out/REPORT.md"
    ok $? "$name: no empty cell in its tables"
done
done_testing
