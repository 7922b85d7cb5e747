load 'plots/common.gp'
set termoption noenhanced
set title sprintf("Lead of curvature onset over grokking, across the learning-rate sweep: lead = %.3g t_grok^%.2f", a, b)
set xlabel "t_grok (step of test accuracy 0.9)"
set ylabel "lead = t_grok - t_onset (steps)"
set logscale xy
set key top left
f(x) = a * x**b
plot dir.'/sweep-events.tsv' using 't_grok':'lead' with points pt 7 ps 1.2 title 'runs', \
     f(x) with lines lw 2 title 'power law fitted by grok-fit'
