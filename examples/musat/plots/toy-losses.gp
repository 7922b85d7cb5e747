load 'plots/common.gp'
set multiplot layout 1,2 title "P2's toys: memorised at once, generalised as weight decay slides w along the zero-loss set"
set logscale y
set format y "10^{%L}"
set xlabel "step"
set ylabel "training loss (squared error)"
set key top right font ",9"
plot for [l in "0.01 0.1 0.2"] dir.'/linear-'.l.'-metrics.tsv' using 'step':'train_loss' with lines lw 2 title 'linear, wd '.l, \
     for [l in "0.01 0.1 0.2"] dir.'/linear2-'.l.'-metrics.tsv' using 'step':'train_loss' with lines dt 2 lw 2 title 'two-layer, wd '.l
set ylabel "test loss (100 points x ~ N(0, I))"
plot for [l in "0.01 0.1 0.2"] dir.'/linear-'.l.'-metrics.tsv' using 'step':'test_loss' with lines lw 2 title 'linear, wd '.l, \
     for [l in "0.01 0.1 0.2"] dir.'/linear3-'.l.'-metrics.tsv' using 'step':'test_loss' with lines dt 3 lw 2 title 'three inputs, wd '.l, \
     for [l in "0.01 0.1 0.2"] dir.'/linear2-'.l.'-metrics.tsv' using 'step':'test_loss' with lines dt 2 lw 2 title 'two-layer, wd '.l
unset multiplot
