load 'plots/common.gp'
set title "Gini sparsity of the Fourier norms of W_E and W_U"
set xlabel "step"
set ylabel "Gini of ||F_k||"
set key top left
plot dir.'/plain-fourier.tsv' using 'step':(strcol('matrix') eq 'embed.W_E' ? column('gini') : NaN) with points pt 7 ps 0.8 title "W_E, weight decay", \
     dir.'/plain-fourier.tsv' using 'step':(strcol('matrix') eq 'unembed.W_U' ? column('gini') : NaN) with points pt 5 ps 0.8 title "W_U, weight decay", \
     dir.'/jacreg-fourier.tsv' using 'step':(strcol('matrix') eq 'embed.W_E' ? column('gini') : NaN) with points pt 6 ps 0.8 title "W_E, + GrokAlign", \
     dir.'/jacreg-fourier.tsv' using 'step':(strcol('matrix') eq 'unembed.W_U' ? column('gini') : NaN) with points pt 4 ps 0.8 title "W_U, + GrokAlign"
