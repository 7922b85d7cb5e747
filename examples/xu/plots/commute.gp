load 'plots/common.gp'
set title "Commutator defect of two SGD steps over training (".name."), and test accuracy"
set xlabel "step"
set ylabel "median defect D"
set logscale y
set y2label "test accuracy"
set y2range [0:1.05]
set y2tics
set ytics nomirror
set key bottom right
plot dir.'/'.run.'-commute.tsv' using 'step':'D_median' with linespoints pt 7 ps 0.5 lw 2 title 'median D', \
     dir.'/'.run.'-commute.tsv' using 'step':'D_median':'D_q1':'D_q3' with yerrorbars pt 0 lc rgb "gray50" title 'quartiles', \
     dir.'/'.run.'-commute.tsv' using 'step':'test_acc' axes x1y2 with lines dt 2 lw 2 title 'test accuracy'
