load 'plots/common.gp'
set title "Fourier spectrum of the embedding W_E over training: the norm at each frequency"
set xlabel "step"
set ylabel "frequency k"
set cblabel "||F_k||"
set key off
unset grid
plot dir.'/spectrum.tsv' using 'step':'k':'norm' with image
