#!/bin/sh
# The public headers serve C and C++ programs alike: each one compiles alone (it includes what
# it uses) and twice (its include guard), all of them together in either order (no tag, name or
# macro clashes between any two), as C11 and as C++11 and C++20 (extern "C", no C-only keyword,
# no C++ keyword as a name), and a C++ program links against libgrok.a with the Makefile's
# libraries.
. "$(dirname "$0")/tap.sh"
: "${GROK_LIBGROK:?run the tests through make check}"
: "${GROK_LDLIBS?run the tests through make check}"
CFLAGS_C="-std=c11 -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L -I$GROK_TOP/include"
CFLAGS_CXX="-Wall -Wextra -Wpedantic -Werror -I$GROK_TOP/include"

# compiles NAME: the C and C++ compilers accept $TMP/NAME.c without a diagnostic.
compiles() {
    run cc $CFLAGS_C -fsyntax-only -x c "$TMP/$1.c"
    [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
    ok $? "$1 as C11"
    sed 's/^/# /' "$TMP/stderr"
    for std in c++11 c++20; do
        run g++ -std=$std $CFLAGS_CXX -fsyntax-only -x c++ "$TMP/$1.c"
        [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
        ok $? "$1 as $std"
        sed 's/^/# /' "$TMP/stderr"
    done
}

for h in "$GROK_TOP"/include/grok/*.h; do
    name=$(basename "$h")
    printf '#include "grok/%s"\n#include "grok/%s"\n' "$name" "$name" >"$TMP/$name.c"
    compiles "$name"
done

ls "$GROK_TOP"/include/grok/*.h | sed 's|.*/include/\(.*\)|#include "\1"|' >"$TMP/all.c"
compiles all
sort -r "$TMP/all.c" >"$TMP/all-reversed.c"
compiles all-reversed

cat >"$TMP/link.cc" <<'EOF'
#include <cstdio>
#include "grok/config.h"
#include "grok/err.h"

int main()
{
    struct grok_train_config c;
    grok_config_defaults(&c);
    struct grok_err err;
    int rc = grok_err_set(&err, GROK_EFORMAT, "p = %d", c.p);
    std::printf("%d %s\n", rc == GROK_EFORMAT, err.msg);
    return 0;
}
EOF
# shellcheck disable=SC2086
run g++ -std=c++11 $CFLAGS_CXX -o "$TMP/link" "$TMP/link.cc" "$GROK_LIBGROK" $GROK_LDLIBS
[ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
ok $? "a C++ program links against libgrok.a"
sed 's/^/# /' "$TMP/stderr"
run "$TMP/link"
is_stdout '1 p = 113' "it calls into the library"
done_testing
