load 'plots/common.gp'
set title "P2's linear toy: the path of w across the zero-loss line w1 + w2 = 2 (from (-1, 1))"
set xlabel "w1"
set ylabel "w2"
set size ratio -1
set xrange [-1.2:2.2]
set yrange [-0.2:2.2]
set arrow from -0.2,2.2 to 2.2,-0.2 nohead dt 2 lc rgb "gray40"
set label "zero-loss line" at 1.55,0.55 textcolor rgb "gray40"
set object circle at 1,1 size 0.03 fc rgb "black" fs solid
set label "smallest point (1, 1)" at 1.06,1.1
plot for [l in "0.01 0.1 0.2"] dir.'/linear-'.l.'-path.tsv' using 2:3 with linespoints pt 7 ps 0.4 title 'weight decay '.l
