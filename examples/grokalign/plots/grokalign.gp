load 'plots/common.gp'
set title "GrokAlign (lambda_J 1e-3) against weight decay alone, with learnable and frozen embeddings"
set xlabel "step"
set ylabel "test accuracy"
set yrange [0:1.05]
set key top left
plot dir.'/plain-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'weight decay', \
     dir.'/jacreg-metrics.tsv' using 'step':'test_acc' with lines lw 2 title 'weight decay + GrokAlign', \
     dir.'/frozen-metrics.tsv' using 'step':'test_acc' with lines lw 2 dt 2 title 'frozen embeddings, weight decay', \
     dir.'/frozen-jacreg-metrics.tsv' using 'step':'test_acc' with lines lw 2 dt 2 title 'frozen embeddings + GrokAlign'
