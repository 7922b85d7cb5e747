load 'plots/common.gp'
set title "The embedding's learning rate: eta_E = c eta_W, and P3's adaptive c"
set termoption noenhanced
set xlabel "step"
set ylabel "test accuracy"
set yrange [0:1.05]
set key bottom right
plot dir.'/embed-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'c = 1', \
     dir.'/rate4-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'c = 4', \
     dir.'/rate10-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'c = 10', \
     dir.'/rate32-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'c = 32', \
     dir.'/adaptive-metrics.tsv' using 'step':'test_acc' with lines lw 2 dt 2 title 'adaptive (every 100 steps)'
