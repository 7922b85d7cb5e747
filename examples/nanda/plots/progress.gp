load 'plots/common.gp'
set title "Progress measures over training (the phase boundaries dashed)"
set xlabel "step"
set ylabel "loss (cross-entropy)"
set logscale y
set format y "10^{%L}"
set key bottom left font ",9"
do for [s in phases] {
    set arrow from real(s), graph 0 to real(s), graph 1 nohead dt 2 lc rgb "gray30"
}
plot dir.'/progress.tsv' using 'step':'train_loss' with lines lw 2 title 'training loss', \
     dir.'/progress.tsv' using 'step':'test_loss' with lines lw 2 title 'test loss', \
     dir.'/progress.tsv' using 'step':'restricted_loss' with lines lw 2 title 'restricted loss (key frequencies only)', \
     dir.'/progress.tsv' using 'step':'excluded_loss' with lines lw 2 title 'excluded loss (key frequencies removed)'
