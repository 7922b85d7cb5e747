load 'plots/common.gp'
set title "Kicks along the commutator outside the execution subspace, and their random control"
set xlabel "step"
set ylabel "test accuracy"
set yrange [0:1.05]
set key bottom right
plot dir.'/op-add-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'no kicks', \
     dir.'/kick-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'kicks (commutator)', \
     dir.'/kick-random-metrics.tsv' using 'step':'test_acc' with lines lw 2 dt 2 title 'kicks (random direction)'
