load 'plots/common.gp'
set title "Suppressing the gradient outside the execution subspace: dose-response and control"
set xlabel "suppression s (g <- g - s (g - B B^T g))"
set ylabel "final test accuracy"
set yrange [0:1.05]
set key bottom left
plot dir.'/suppression.tsv' using ($1):(strcol(2) eq 'trained' ? $3 : NaN) with linespoints pt 7 ps 1.2 lw 2 title 'the run''s own basis', \
     dir.'/suppression.tsv' using ($1):(strcol(2) eq 'random' ? $3 : NaN) with points pt 9 ps 2 title 'a random basis (s = 0.5)'
