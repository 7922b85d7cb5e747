#!/bin/sh
# grok-train -t on a terminal (a pseudo-terminal from script(1)): each row of the table on a line
# of its own, the bar drawn below the last row with the fill of one width and never shrinking,
# the last evaluation's accuracies and loss in it, and one summary line in its place at the end.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
if ! script -qfec true /dev/null >/dev/null 2>&1; then
    echo "1..0 # SKIP script(1) from util-linux cannot run here"
    exit 0
fi

SMALL="--p 23 --frac 0.5 --d-model 32 --heads 4 --d-mlp 64 --steps 400 --eval-every 100 --threads 1"

# on_tty COLS OUT CMD: runs CMD in a terminal COLS columns wide; what it shows, byte for byte, in OUT.
on_tty() {
    script -qfec "stty cols $1 rows 24; $3" /dev/null >"$2" </dev/null
}

# screen RAW: the lines a terminal shows at the end (carriage returns, erasures to the end of
# the line and newlines applied; trailing blanks dropped).
screen() {
    perl -e 'local $/; $_ = <STDIN>; my (@out, @l); my $c = 0;
        while (/\G(\r|\n|\e\[K|[^\r\n\e]+)/gc) {
            my $t = $1;
            if ($t eq "\r") { $c = 0 }
            elsif ($t eq "\n") { push @out, join("", @l); @l = (); $c = 0 }
            elsif ($t eq "\e[K") { splice @l, $c }
            else { for my $ch (split //, $t) { $l[$c++] = $ch } }
        }
        push @out, join("", @l) if @l;
        s/ +$// for @out;
        print "$_\n" for @out' <"$1"
}

# untimed: the summary's time as M:SS.
untimed() { sed -E 's/ in [0-9]+:[0-9][0-9](:[0-9][0-9])?,/ in M:SS,/'; }

# drawings RAW: every drawing of the bar, one a line, in the order drawn.
drawings() {
    perl -ne 'BEGIN { $/ = "\r" } print "$1\n" if /^(grok-train \[[^\e]*)\e\[K/' <"$1"
}

run grok-train $SMALL -t -q
is_exit 0
cp "$TMP/stdout" table
rows=$(grep -vc '^#' table)
[ "$rows" -eq 6 ]
ok $? "the table without a terminal: the header and 5 rows ($rows lines)"

# ---- stdout and stderr on one terminal, 80 columns ----
on_tty 80 raw "grok-train $SMALL -t"
ok $? "grok-train -t in a pseudo-terminal"
screen raw >shown
head -n 10 shown >shown-table
cmp -s table shown-table
ok $? "the screen shows the table as written, each row on a line of its own"
cmp -s table shown-table || diff table shown-table | sed 's/^/# /'
last=$(tail -n 1 table)
want=$(printf '%s\n' "$last" | awk -F'\t' '{printf "train acc %.3f test acc %.3f (loss %.3g / %.3g)", $3, $5, $2, $4}')
[ "$(wc -l <shown)" -eq 11 ] && [ "$(tail -n 1 shown | untimed)" = "grok-train: 400 steps in M:SS, $want" ]
ok $? "then one summary line: grok-train: 400 steps in M:SS, $want"
[ "$(wc -l <shown)" -eq 11 ] || sed 's/^/# screen: /' shown
! grep -q 'grok-train \[' shown
ok $? "no bar is left on the screen"

drawings raw >bars
awk '{ n = gsub(/#/, "#"); w = index($0, "]") }
     NR > 1 && (w != width || n < fill) { bad = 1; print "# " $0 }
     length($0) > 79 { bad = 1; print "# too wide: " $0 }
     { width = w; fill = n }
     END { exit bad || NR < 5 }' bars
ok $? "$(wc -l <bars) drawings of the bar: the fill keeps its width, never shrinks, 79 columns at most"
tail -n 1 bars | grep -Eq '^grok-train \[#{11}\] ETA [0-9]+:[0-9][0-9] +acc train'
ok $? "80 columns: a fill of 11, the time left and the note"

# Right after each row, the bar is drawn again with that row's evaluation.
perl -e 'local $/; $_ = <STDIN>;
    print "$1\t$2\n" while /\e\[K(\d+)\t[^\r\n]*\r?\n\r(grok-train \[[^\e]*)\e\[K/g' <raw >after
awk -F'\t' '!/^#/ && $1 != "step" {
        printf "%s\tacc train %.3f test %.3f  loss %.3g\n", $1, $3, $5, $2 }' table >want-notes
sed 's/\tgrok-train \[[#.]*\] ETA [^ ]* */\t/' after >got-notes
cmp -s want-notes got-notes
ok $? "each row is followed by the bar with its accuracies and loss, labelled"
cmp -s want-notes got-notes || diff want-notes got-notes | sed 's/^/# /'

# ---- the table to a file, the bar on the terminal ----
on_tty 80 raw2 "grok-train $SMALL -t >table2"
screen raw2 >shown2
cmp -s table table2
ok $? "stdout to a file: the table as without a terminal"
[ "$(untimed <shown2)" = "grok-train: 400 steps in M:SS, $want" ]
ok $? "stdout to a file: the screen shows the summary alone"
[ "$(wc -l <shown2)" -eq 1 ] || sed 's/^/# screen: /' shown2

# ---- -q: no bar, no summary ----
on_tty 80 raw3 "grok-train $SMALL -t -q"
screen raw3 >shown3
cmp -s table shown3 && ! grep -Eq 'grok-train( \[|:)' raw3
ok $? "-q: the table alone, no bar and no summary"

# ---- a narrow terminal: the bar never wraps ----
on_tty 40 raw4 "grok-train $SMALL -t >/dev/null"
drawings raw4 >bars4
awk 'length($0) > 39 { bad = 1; print "# " $0 } END { exit bad || NR < 1 }' bars4
ok $? "40 columns: every drawing fits in 39"
tail -n 1 bars4 | grep -Eq '^grok-train \[#{14}\] ETA [0-9]+:[0-9][0-9]$'
ok $? "40 columns: a fill of 14 and the time left, no note"

# ---- a continued run says where it began ----
grok-train $SMALL --steps 200 -q -o half.h5
on_tty 80 raw5 "grok-train --resume half.h5 --steps 400 -o full.h5"
screen raw5 >shown5
grep -Eq '^grok-train: steps 200 to 400 in [0-9]+:[0-9][0-9], train acc [01]\.[0-9]{3} test acc' shown5 &&
    [ "$(wc -l <shown5)" -eq 1 ]
ok $? "a continued run: grok-train: steps 200 to 400 in M:SS, ..."
[ "$(wc -l <shown5)" -eq 1 ] || sed 's/^/# screen: /' shown5

done_testing
