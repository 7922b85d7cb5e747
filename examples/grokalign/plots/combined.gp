load 'plots/common.gp'
set multiplot layout 1,2 title "Grokfast measured by P4's alignment and P1's commutator defects"
set xlabel "step"
set key bottom right font ",9"
set ylabel "mean cos(mu_x, x)"
plot dir.'/plain-align.tsv' using 'step':'cos_mean' with linespoints pt 7 ps 0.5 lw 2 title 'weight decay', \
     dir.'/grokfast-align.tsv' using 'step':'cos_mean' with linespoints pt 7 ps 0.5 lw 2 title 'Grokfast EMA 0.98, 2'
set ylabel "median commutator defect D"
set logscale y
set key top left
plot dir.'/plain-commute.tsv' using 'step':'D_median' with linespoints pt 7 ps 0.5 lw 2 title 'weight decay', \
     dir.'/grokfast-commute.tsv' using 'step':'D_median' with linespoints pt 7 ps 0.5 lw 2 title 'Grokfast EMA 0.98, 2'
unset multiplot
