#!/bin/bash
# t950-fig1.sh HGFIG1 MPIEXEC NP OUTDIR [PYTHON3 FIG1PY]
# Figure 1 (apps/hgfig1) at a tiny size: LR (p = 50, 200 + 200 samples, truth from a converged
# solve) and BR (closed form), 3 values of lambda, t = 10, 40, 80.  The app's -fig1_check asserts
# that the mean errors of ITD, FP k=t and CG k=t fall by 10x from t = 10 to t = 80 and are ordered
# CG <= FP <= ITD at every t on LR; this script checks the CSV it wrote independently (rows,
# finite values, the LR ordering and the fall again) and, when python3 with matplotlib is there,
# that docs/fig1.py draws it.
set -u
hgfig1=$1 mpiexec=$2 np=$3 out=$4 py=${5:-} fig1py=${6:-}
mkdir -p "$out"
csv=$out/t950-fig1.csv
rm -f "$csv"
"$mpiexec" --oversubscribe -n "$np" "$hgfig1" -fig1_problems LR,BR -fig1_nlambda 3 -fig1_t 10,40,80 \
  -lr_p 50 -lr_ntrain 200 -lr_nval 200 -br_p 100 -fig1_check -fig1_check_order LR -fig1_csv "$csv" > "$out/t950-fig1.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then cat "$out/t950-fig1.log"; echo "t950: hgfig1 -fig1_check failed (exit $rc)"; exit 1; fi
awk -F, '
  NR == 1 { if ($0 != "problem,method,t,k,mean,std,min,max,abs_mean,abs_std,time_mean,nfail,n") { print "t950: unexpected CSV header: " $0; bad = 1 }; next }
  {
    rows++
    for (i = 5; i <= 11; i++) if ($i !~ /^[0-9.eE+-]+$/ || $i + 0 < 0) { print "t950: not a non-negative number in column " i ": " $0; bad = 1 }
    if ($12 != 0) { print "t950: failed hypergradients: " $0; bad = 1 }
    if ($13 != 3) { print "t950: sample count " $13 " != 3: " $0; bad = 1 }
    if ($5 + 0 < $7 + 0 || $5 + 0 > $8 + 0) { print "t950: mean outside [min, max]: " $0; bad = 1 }
    m[$1 "," $2 "," $3] = $5 + 0
  }
  END {
    if (rows != 30) { print "t950: " rows " rows, expected 2 problems x 5 methods x 3 t = 30"; bad = 1 }
    split("10 40 80", ts, " ")
    for (j = 1; j <= 3; j++) {
      t = ts[j]; c = m["LR,CG k=t," t]; f = m["LR,FP k=t," t]; i = m["LR,ITD," t]
      if (!(c <= f && f <= i)) { printf "t950: LR t = %s: CG %g, FP %g, ITD %g not ordered CG <= FP <= ITD\n", t, c, f, i; bad = 1 }
    }
    split("ITD|FP k=t|CG k=t", ms, "|")
    for (p = 1; p <= 2; p++) for (j = 1; j <= 3; j++) {
      pr = (p == 1) ? "LR" : "BR"; a = m[pr "," ms[j] ",10"]; b = m[pr "," ms[j] ",80"]
      if (!(b <= 0.1 * a)) { printf "t950: %s %s: mean error %g at t = 80 not below 0.1 x %g at t = 10\n", pr, ms[j], b, a; bad = 1 }
    }
    exit bad
  }' "$csv" || exit 1
if [ -n "$py" ] && [ -n "$fig1py" ] && "$py" -c "import matplotlib, numpy" 2> /dev/null; then
  rm -f "$out/t950-fig1.png"
  "$py" "$fig1py" "$csv" "$out/t950-fig1.png" > /dev/null || { echo "t950: docs/fig1.py failed on $csv"; exit 1; }
  [ -s "$out/t950-fig1.png" ] || { echo "t950: docs/fig1.py wrote no PNG"; exit 1; }
fi
exit 0
