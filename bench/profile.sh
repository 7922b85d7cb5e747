#!/bin/sh
# Where a training step's time goes, by phase: perf samples of `step-time PRESET STEPS THREADS`
# (the step grok-train runs: minibatch draw, forward, backward, clipping, optimiser), grouped by
# the function they fell in. One row per phase: its share of the samples and, from step-time's
# median, the milliseconds of a step that share stands for (the threads work side by side on
# their halves of the batch, so a share of all threads' samples is a share of the step's wall
# time). Samples before the timed steps (setup, warm-up) count too; with a few seconds of steps
# they are under 2%.
#
# usage: bench/profile.sh [TOOLS [THREADS]]   (presets and steps: PRESETS, default below)
# Needs perf (Debian's linux-perf) and kernel.perf_event_paranoid ≤ 2. `make bench-profile`.
set -eu
TOOLS=${1:-build/bench}
THREADS=${2:-2}
PRESETS=${PRESETS:-"nanda:200 xu:1500 alquabeh:3000"}
. "$(dirname "$0")/lib.sh"
scratch profile
command -v perf >/dev/null || { echo "profile.sh: perf is not installed (apt install linux-perf)" >&2; exit 1; }

# phase: the phase of a "dso symbol" line of perf report.
phase() {
    awk '
    function of(dso, sym) {
        if (dso ~ /openblas/) return sym ~ /copy/ ? "products: packing" : "products: kernels"
        if (sym ~ /layernorm|^sum$|^sum_sq_dev$/) return "LayerNorm"
        if (sym ~ /^grok_act_|gauss_exp|gelu/) return "activation (GELU, ReLU)"
        if (sym ~ /^grok_attention_|^dot$/) return "attention: scores, softmax, weighted sums"
        if (sym ~ /_ZGV.*exp|^__ieee754_exp|^exp/) return "exp (softmax, loss)"
        if (sym ~ /crossentropy|logits_loss/) return "loss"
        if (sym ~ /adam|optim_|sgd|clip/) return "optimiser, clipping"
        if (sym ~ /^col_/) return "MLP columns (elementwise)"
        if (sym ~ /memset|memmove|memcpy/) return "zeroing, copies"
        if (sym ~ /pool_run|worker_main|combine|pthread|futex|sched|^__?[a-z_]*wait/ || dso ~ /kernel/)
            return "thread hand-offs, kernel"
        if (sym ~ /^grok_linear_|^grok_heads_/) return "bias, head reshapes"
        return "other"
    }
    { share[of($2, $NF)] += $1 }
    END { for (p in share) printf "%s\t%.4f\n", p, share[p] / 100 }'
}

printf 'preset\tphase\tshare\tms_per_step\n'
for job in $PRESETS; do
    preset=${job%%:*} steps=${job#*:}
    perf record -q -F 2000 -o "$dir/perf.data" -- "$TOOLS/step-time" "$preset" "$steps" "$THREADS" \
        >"$dir/step.tsv" 2>"$dir/perf.err" || { cat "$dir/perf.err" >&2; exit 1; }
    ms=$(cut -f2 "$dir/step.tsv")
    perf report -q -i "$dir/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
        sed 's/%//; s/\[\.\] //; s/\[k\] //' | awk 'NF >= 3 { print $1, $2, $3 }' | phase |
        sort -t "$(printf '\t')" -k2,2gr |
        awk -F'\t' -v p="$preset" -v ms="$ms" '{ printf "%s\t%s\t%.3f\t%.3f\n", p, $1, $2, $2 * ms }'
    printf '%s\tstep (step-time median)\t1\t%s\n' "$preset" "$ms"
done
