load 'plots/common.gp'
set multiplot layout 1,2 title "P2's two-layer network: the closed form stays at zero training loss and still groks late"
set xlabel "step"
set ylabel "test accuracy"
set yrange [0:1.05]
set key bottom right
plot dir.'/closed-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'closed form', \
     dir.'/gd-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'gradient descent'
set autoscale y
set logscale y
set format y "10^{%L}"
set ylabel "training loss (mean squared error)"
set key top right
plot dir.'/closed-metrics.tsv' using 'step':'train_loss' with lines lw 2 title 'closed form', \
     dir.'/gd-metrics.tsv' using 'step':'train_loss' with lines lw 2 title 'gradient descent'
unset multiplot
