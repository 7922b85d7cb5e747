load 'plots/common.gp'
set title "A learned embedding against the raw numbers, the same MLP otherwise"
set xlabel "step"
set ylabel "accuracy"
set yrange [0:1.05]
set key center right
plot dir.'/embed-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'embedding: test', \
     dir.'/embed-metrics.tsv' using 'step':'train_acc' with lines lw 2 dt 2 title 'embedding: train', \
     dir.'/raw-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'raw numbers: test', \
     dir.'/raw-metrics.tsv' using 'step':'train_acc' with lines lw 2 dt 2 title 'raw numbers: train'
