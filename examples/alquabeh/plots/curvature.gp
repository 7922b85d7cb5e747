load 'plots/common.gp'
set title "Largest Hessian eigenvalue of the training loss, restricted to a block"
set termoption noenhanced
set xlabel "step"
set ylabel "lambda_max"
set logscale y
set key center right
plot dir.'/curvature.tsv' using 'step':(strcol('block') eq 'embed' ? column('eigenvalue') : NaN) with points pt 7 ps 1.2 title 'embedding (embed.W_E)', \
     dir.'/curvature.tsv' using 'step':(strcol('block') eq 'mlp.0.W' ? column('eigenvalue') : NaN) with points pt 5 ps 1.2 title 'first layer (mlp.0.W)'
