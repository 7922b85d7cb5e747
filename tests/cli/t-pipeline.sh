#!/bin/sh
# The headline pipelines end to end on a small model that groks in a few seconds:
# grok-train | grok-pca | grok-fit and grok-train | grok-pca | grok-commute | grok-fit.
. "$(dirname "$0")/tap.sh"
cd "$TMP" || exit 1
train="grok-train --preset xu --p 23 --frac 0.6 --d-model 32 --heads 2 --d-mlp 64 --batch 128 --lr 3e-3 --steps 3000 --snapshot-every 100 --eval-every 50 -q"

run sh -c "$train | grok-pca -q | grok-fit -t"
is_exit 0
is_stderr_empty
grep -v '^#' "$TMP/stdout" >events.tsv
run awk -F'\t' 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
    {print ($c["t_grok"] > 0 && $c["t_mem"] < $c["t_grok"] && $c["pc1_mean"] > 0 && $c["pc1_mean"] <= 1 && $c["t_onset"] == "nan")}' events.tsv
is_stdout "1" "grok-train | grok-pca | grok-fit: memorised before grokked, the mean PC1 share, no onset without /commute"
run awk -F'\t' 'NR == 1 {for (i = 1; i <= NF; i++) if ($i ~ /^pc1\./) {m[++n] = i; printf "%s ", $i}; c = 0
                          for (i = 1; i <= NF; i++) if ($i == "pc1_mean") c = i; p = 0
                          for (i = 1; i <= NF; i++) if ($i == "preset") p = i; next}
    {s = 0; ok = 1; for (k = 1; k <= n; k++) {s += $m[k]; ok = ok && $m[k] > 0 && $m[k] <= 1}
     d = s / n - $c; print ""; print (ok && d * d < 1e-24), $p}' events.tsv
is_stdout "pc1.blocks.0.attn.W_Q pc1.blocks.0.attn.W_K pc1.blocks.0.attn.W_V pc1.blocks.0.attn.W_O pc1.blocks.1.attn.W_Q pc1.blocks.1.attn.W_K pc1.blocks.1.attn.W_V pc1.blocks.1.attn.W_O 
1 xu" "... prints the PC1 share of each attention matrix (their mean is pc1_mean) and the preset"

run sh -c "$train | grok-pca -q | grok-commute -K 3 --batch 64 -q >run.h5"
is_exit 0
is_stderr_empty
run sh -c "grok-fit -t run.h5 | grep -v '^#'"
cp "$TMP/stdout" events.tsv
# P1's onset rule, recomputed here from the /commute table: baseline = max(median of the first
# three D, 0.1); onset = the first step with D > 10 x baseline and D > 20.
grok-snap -t commute run.h5 | grep -v '^#' | awk -F'\t' '
    NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
    {n++; s[n] = $c["step"]; d[n] = $c["D_median"]}
    END {a = d[1]; b = d[2]; e = d[3]
         m = (a > b) ? ((b > e) ? b : ((a > e) ? e : a)) : ((a > e) ? a : ((b > e) ? e : b))
         if (m < 0.1) m = 0.1
         for (i = 1; i <= n; i++) if (d[i] > 10 * m && d[i] > 20) {print s[i]; exit}
         print "nan"}' >onset.txt
run awk -F'\t' -v want="$(cat onset.txt)" 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
    {print ($c["t_onset"] == want && want != "nan" && $c["lead"] == $c["t_grok"] - $c["t_onset"] &&
            ($c["lead_frac"] - $c["lead"] / $c["t_grok"])^2 < 1e-20)}' events.tsv
is_stdout "1" "... | grok-commute | grok-fit: t_onset is P1's rule on /commute ($(cat onset.txt)), lead = t_grok - t_onset"
run sh -c "grok-fit run.h5 | grok-snap -l | grep -c '^dataset	/\\(pca\\|commute\\|fit\\)/' | awk '{print (\$1 > 20)}'"
is_stdout "1" "the run at the end of the pipeline holds /pca, /commute and /fit"
done_testing
