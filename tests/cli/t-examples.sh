#!/bin/sh
# Every study in examples/ builds its reduced setting (make SMALL=1 report) with these programs,
# and leaves every figure it promises and a REPORT.md, none of them empty, with no number left
# blank. Skipped under the sanitizers (make SANITIZE=1 check), where the runs take several
# times as long; `make check` runs it.
. "$(dirname "$0")/tap.sh"
if [ -n "${ASAN_OPTIONS:-}" ]; then
    echo "1..0 # SKIP the examples' builds are checked by make check, not under the sanitizers"
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
