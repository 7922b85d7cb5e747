# Shared settings of the study's figures (out: the PNG, dir: the tables' folder).
set terminal pngcairo size 900,560 font ",11"
set output out
set datafile separator tab
set grid
set key box opaque
