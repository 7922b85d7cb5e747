load 'plots/common.gp'
set title "Centroid alignment cos(mu_x, x) over the training points, and test accuracy"
set xlabel "step"
set ylabel "cos(mu_x, x)"
set y2label "test accuracy"
set y2range [0:1.05]
set y2tics
set ytics nomirror
set key bottom right
plot dir.'/plain-align.tsv' using 'step':'cos_min':'cos_max' with filledcurves fs transparent solid 0.25 title 'min to max', \
     dir.'/plain-align.tsv' using 'step':'cos_mean' with linespoints pt 7 ps 0.5 lw 2 title 'mean', \
     dir.'/plain-align.tsv' using 'step':'test_acc' axes x1y2 with linespoints pt 5 ps 0.5 dt 2 lw 2 title 'test accuracy'
