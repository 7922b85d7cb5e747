load 'plots/common.gp'
set title "Share of the commutator inside the execution subspace, against a random subspace, by phase"
set ylabel "share of the defect vector's norm"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set yrange [0:*]
plot dir.'/op-add-phases.tsv' using 'share_in':xtic(1) title 'execution subspace', \
     dir.'/op-add-phases.tsv' using 'share_random' title 'random subspace of its size'
