load 'plots/common.gp'
set multiplot layout 1,2 title "Updates against weight decay's pull along the zero-loss set (p = 17, 128 units)"
set xlabel "step"
set yrange [0:1.05]
set key bottom right font ",9"
set ylabel "cosine, share, accuracy"
set title "closed form"
plot dir.'/m17-manifold.tsv' using 'step':'cos_decay' with linespoints pt 7 ps 0.5 lw 2 title 'cos(update, P(-theta))', \
     dir.'/m17-manifold.tsv' using 'step':'tangent_share' with linespoints pt 5 ps 0.5 lw 2 title 'tangent share of the update', \
     dir.'/m17-metrics.tsv' using 'step':'test_acc' with lines dt 2 lw 2 title 'test accuracy'
set title "gradient descent"
plot dir.'/g17-manifold.tsv' using 'step':'cos_decay' with linespoints pt 7 ps 0.5 lw 2 title 'cos(update, P(-theta))', \
     dir.'/g17-manifold.tsv' using 'step':'tangent_share' with linespoints pt 5 ps 0.5 lw 2 title 'tangent share of the update', \
     dir.'/g17-metrics.tsv' using 'step':'test_acc' with lines dt 2 lw 2 title 'test accuracy'
unset multiplot
