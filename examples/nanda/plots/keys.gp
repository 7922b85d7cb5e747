load 'plots/common.gp'
set title "Neurons per key frequency at the end (a frequency explaining >= 0.85 of a neuron's variance)"
set xlabel "frequency k"
set ylabel "neurons"
set style fill solid 0.7
set boxwidth 0.7
set yrange [0:*]
set key off
plot dir.'/key-neurons.tsv' using 'freq':'neurons' with boxes, \
     '' using 'freq':'neurons':'neurons' with labels offset 0,0.7
