load 'plots/common.gp'
set title "PC1 share of each attention matrix's trajectory: a grokking (add) and a non-grokking (rand) operation"
set ylabel "PC1 share of the trajectory's variance"
set yrange [0:1]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -30 font ",9"
set key top right
plot dir.'/op-add-pca.tsv' using 'pc1':xtic(1) title 'add (groks)', \
     dir.'/op-rand-pca.tsv' using 'pc1' title 'rand (cannot generalise)'
