#!/bin/sh
# Every man page formats without a warning, and reads in the C locale. There man formats with
# -Tascii and tty-char.tmac, which drops a raw UTF-8 byte or a glyph it has no form for (the
# norm bars of \[u2016]) and spells the rest as <name> (<mu>, <sqrt>); the pages' .fchar lines
# give their Greek letters ASCII names instead.
. "$(dirname "$0")/tap.sh"

# The placeholders that the pages themselves write in angle brackets.
placeholders='<matrix>'

for page in "$GROK_TOP"/doc/*.1; do
    name=$(basename "$page")
    run groff -ww -z -man "$page"
    [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
    ok $? "$name: groff -ww -z is silent"
    sed 's/^/# /' "$TMP/stderr"

    for dev in ascii utf8; do
        # What man shows (nroff adds -mtty-char), in lines long enough that no formula wraps,
        # without the overstrikes of bold and underline.
        run groff -ww -mtty-char -man -T$dev -P-cbou -rLL=250n "$page"
        [ "$RC" -eq 0 ] && [ ! -s "$TMP/stderr" ]
        ok $? "$name: -T$dev is silent"
        sed 's/^/# /' "$TMP/stderr"
        cp "$TMP/stdout" "$TMP/$name.$dev"
    done

    ! grep -q '[^ -~]' "$TMP/$name.ascii"
    ok $? "$name: the C locale's rendering is plain ASCII"
    grep -o '<[A-Za-z][A-Za-z~ ]*>' "$TMP/$name.ascii" | grep -vxF "$placeholders" >"$TMP/names"
    [ ! -s "$TMP/names" ]
    ok $? "$name: no glyph is spelled <name> in the C locale"
    sort -u "$TMP/names" | sed 's/^/# /'
done

# has PAGE DEV TEXT: the page's rendering holds TEXT, with runs of spaces and newlines as one space.
has() {
    tr '\n' ' ' <"$TMP/$1.$2" | tr -s ' ' | grep -qF "$3"
    ok $? "$1 -T$2 shows: $3"
}
has grok-align.1 ascii 'cos(mu_x, x) = <x, mu_x> / (||x|| ||mu_x||); also <x, mu_x> and ||mu_x||.'
has grok-align.1 ascii '||J_x||_F^2 ~= (C/R) sum_r ||v_r^T J_x||^2,'
has grok-align.1 ascii '(sigma_1^2/sum_i sigma_i^2; with'
has grok-align.1 utf8 'cos(μ_x, x) = ⟨x, μ_x⟩ / (||x|| ||μ_x||); also ⟨x, μ_x⟩ and ||μ_x||.'
has grok-commute.1 ascii 'delta = theta_AB - theta_BA, D = ||delta|| / (||eta g_A(theta)|| ||eta g_B(theta)||).'
has grok-commute.1 ascii 'rho = ||delta_perp||/||delta||'
has grok-fourier.1 ascii 'norm_k = sqrt(cos_k^2 + sin_k^2),'
has grok-pca.1 ascii 's_k^2/sum s_i^2.'
done_testing
