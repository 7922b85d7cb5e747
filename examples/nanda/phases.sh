#!/bin/sh
# phases.sh TABLES: the phase boundaries of the run, one per row (name, step), by these rules:
#   memorised      grok-fit's t_mem: the first evaluation with training accuracy >= 0.99;
#   circuits       the first snapshot after it whose excluded loss is ten times its value there
#                  (the key-frequency circuits now carry the training fit);
#   cleanup        the first snapshot after the test loss's peak (from memorised on) with half
#                  that loss (the memorising part is going);
#   clean          the first snapshot whose sum of squared weights is within 5% of the last.
set -eu
. ../lib/table.sh
t=$1
mem=$(event "$t/events.tsv" nanda t_mem)
ex0=$(column "$t/progress.tsv" excluded_loss | awk -v m="$mem" '$1 >= m { print $2; exit }')
circ=$(column "$t/progress.tsv" excluded_loss | awk -v m="$mem" -v e="$ex0" '$1 > m && $2 >= 10 * e { print $1; exit }')
read -r peak peak_at <<END
$(max "$t/progress.tsv" test_loss "$mem")
END
clean_start=$(column "$t/progress.tsv" test_loss | awk -v a="$peak_at" -v p="$peak" '$1 > a && $2 <= p / 2 { print $1; exit }')
final=$(last "$t/progress.tsv" sum_sq_weights)
clean=$(column "$t/progress.tsv" sum_sq_weights | awk -v f="$final" '$2 <= 1.05 * f { print $1; exit }')
printf 'phase\tstep\nmemorised\t%s\ncircuits\t%s\ncleanup\t%s\nclean\t%s\n' "$mem" "${circ:-never}" "${clean_start:-never}" "${clean:-never}"
