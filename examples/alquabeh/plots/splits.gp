load 'plots/common.gp'
set title "Training splits and frequency-aware sampling"
set xlabel "step"
set ylabel "test accuracy"
set yrange [0:1.05]
set key bottom right
plot dir.'/embed-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'uniform split', \
     dir.'/split-random-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'random split', \
     dir.'/split-skewed-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'skewed split (Zipf 1.5)', \
     dir.'/sampler-metrics.tsv' using 'step':'test_acc' with lines lw 2 dt 2 title 'random split, frequency-aware draws (gamma 1e-3)'
