# Shell functions over grok's TSV tables, for the examples' reports (sourced by report.sh).
# Every number a report states comes from these, read from the tables the run produced.

# meta TABLE KEY: the value of a `# KEY: value` line.
meta() { sed -n "s/^# $2: //p" "$1" | head -n 1; }

# column TABLE NAME: "step value" per row (column NAME by its header).
column() {
    awk -F'\t' -v name="$2" '/^#/ { next } !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
        { print $c["step"], $c[name] }' "$1"
}

# first TABLE NAME OP V: the first step whose NAME is OP (>=, <=, >, <) V, or "never".
first() {
    column "$1" "$2" | awk -v op="$3" -v v="$4" '
        (op == ">=" && $2 + 0 >= v) || (op == "<=" && $2 + 0 <= v) || (op == ">" && $2 + 0 > v) ||
        (op == "<" && $2 + 0 < v) { print $1; found = 1; exit } END { if (!found) print "never" }'
}

# row TABLE KEY NAME: column NAME (by its header) of the row whose first column is KEY.
row() {
    awk -F'\t' -v k="$2" -v c="$3" '/^#/ { next } !h { for (i = 1; i <= NF; i++) n[$i] = i; h = 1; next }
        $1 == k { print $n[c]; exit }' "$1"
}

# last TABLE NAME: the value in the last row.  at TABLE NAME STEP: the value at STEP.
last() { column "$1" "$2" | awk 'END { print $2 }'; }
at() { column "$1" "$2" | awk -v s="$3" '$1 == s { print $2; exit }'; }

# max TABLE NAME [FROM]: the largest value (from step FROM on) and its step, "value step".
max() { column "$1" "$2" | awk -v from="${3:-0}" '$1 >= from && (!n++ || $2 > m) { m = $2; s = $1 } END { print m, s }'; }

# fmt V: a number to 3 significant digits.
fmt() { awk -v v="$1" 'BEGIN { if (v == "never" || v == "") print v; else printf "%.3g\n", v }'; }

# event EVENTS RUN COLUMN: grok-fit's events column COLUMN (t_mem, t_grok, final_test_acc, ...)
# of the run runs/RUN.h5, from EVENTS (grok-fit -t over the runs).
event() {
    awk -F'\t' -v r="$2" -v col="$3" '/^#/ { next } $1 == "run" { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $1 ~ ("/" r "\\.h5$") { print $c[col]; exit }' "$1"
}

# reached V: V, or "not within the run" for grok-fit's nan (an event that did not happen).
reached() { if [ "$1" = nan ]; then echo "not within the run"; else echo "$1"; fi; }
