load 'plots/common.gp'
set title "Sum of squared weights, and test accuracy"
set xlabel "step"
set ylabel "sum of squared weights"
set y2label "test accuracy"
set y2range [0:1.05]
set y2tics
set ytics nomirror
set key center right
plot dir.'/progress.tsv' using 'step':'sum_sq_weights' with lines lw 2 title 'sum of squared weights', \
     dir.'/metrics.tsv' using 'step':'test_acc' axes x1y2 with lines lw 2 title 'test accuracy'
