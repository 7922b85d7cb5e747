load 'plots/common.gp'
set multiplot layout 1,3 title "Circles in the first layer (mlp.0.W over all key frequencies)"
set xlabel "step"
set key bottom right font ",9"
set ylabel "||Re F_k|| / ||Im F_k|| (1: a circle)"
plot dir.'/closed-fourier.tsv' using 'step':'circle_ratio' with lines lw 2 title 'closed form', \
     dir.'/gd-fourier.tsv' using 'step':'circle_ratio' with lines lw 2 title 'gradient descent'
set ylabel "|cos(Re F_k, Im F_k)| (0: orthogonal)"
set key top right
plot dir.'/closed-fourier.tsv' using 'step':'circle_cos' with lines lw 2 title 'closed form', \
     dir.'/gd-fourier.tsv' using 'step':'circle_cos' with lines lw 2 title 'gradient descent'
set ylabel "diag dominance (1: own hidden units)"
set key bottom right
plot dir.'/closed-fourier.tsv' using 'step':'diag_dominance' with lines lw 2 title 'closed form', \
     dir.'/gd-fourier.tsv' using 'step':'diag_dominance' with lines lw 2 title 'gradient descent'
unset multiplot
