# Chart of bench/titles/run.sh: time against number of URLs, cafe titles --sync vs async.
# Usage: gnuplot -e "dat='FILE'; png='OUT.png'; delay=MS; conc=C" chart.gp
# FILE rows: URLs, async s, sync s measured, sync s extrapolated (the dashed line, which starts
# at the last measured point), sync s extrapolated where not measured (its labels); "n/a"
# where none.
set terminal pngcairo size 900,600 font "DejaVu Sans,11"
set output png
set datafile missing "n/a"
set title sprintf("cafe titles: one at a time (--sync) vs concurrent (-c %d), %d ms per response", conc, delay)
set xlabel "URLs"
set ylabel "seconds (log scale)"
set logscale xy
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key top left box opaque
set format y "%g"
stats dat using 1 nooutput
set xrange [STATS_min / 1.5 : STATS_max * 1.5]
ideal_sync(n) = n * delay / 1000.0
ideal_async(n) = ceil(n / conc) * delay / 1000.0
set samples 400
fmt(s) = s < 1 ? sprintf("%.2f s", s) : sprintf("%.1f s", s)
plot dat using 1:3 with linespoints lw 2 pt 7 ps 1.2 lc rgb "#c0392b" title "--sync, measured", \
     dat using 1:4 with linespoints lw 2 dt 2 pt 6 ps 1.2 lc rgb "#c0392b" title "--sync, extrapolated (s/URL x N)", \
     dat using 1:2 with linespoints lw 2 pt 5 ps 1.2 lc rgb "#2471a3" title sprintf("async, -c %d, measured", conc), \
     ideal_sync(x) with lines lw 1.5 dt 3 lc rgb "#777777" title sprintf("ideal sync: N x %d ms", delay), \
     ideal_async(x) with lines lw 1.5 dt 3 lc rgb "#2e86c1" title sprintf("ideal async: ceil(N/%d) x %d ms", conc, delay), \
     dat using 1:3:(fmt($3)) with labels offset 0,1.2 tc rgb "#c0392b" notitle, \
     dat using 1:5:(fmt($5)) with labels offset 0,1.2 tc rgb "#c0392b" notitle, \
     dat using 1:2:(fmt($2)) with labels offset 0,-1.2 tc rgb "#2471a3" notitle
