load 'plots/common.gp'
set title "The Jacobian's size: mean ||J_x||_F over the training points"
set xlabel "step"
set ylabel "mean ||J_x||_F"
set logscale y
set key top right
plot dir.'/plain-align.tsv' using 'step':'jac_fro_mean' with linespoints pt 7 ps 0.5 lw 2 title 'weight decay', \
     dir.'/jacreg-align.tsv' using 'step':'jac_fro_mean' with linespoints pt 7 ps 0.5 lw 2 title 'weight decay + GrokAlign', \
     dir.'/frozen-align.tsv' using 'step':'jac_fro_mean' with linespoints pt 5 ps 0.5 dt 2 lw 2 title 'frozen embeddings', \
     dir.'/frozen-jacreg-align.tsv' using 'step':'jac_fro_mean' with linespoints pt 5 ps 0.5 dt 2 lw 2 title 'frozen + GrokAlign'
