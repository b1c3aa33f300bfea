#!/usr/bin/env bash
# hgconvert on NP ranks with a write that fails with ENOSPC on one rank only (LD_PRELOAD shim
# tests/service/faultfs.c: writes to *.tmp files fail on rank HG_FAULT_RANK after HG_FAULT_BYTES
# bytes): on the last rank and on rank 0, at the start and part way through the rows, CSR and
# dense.  Each run must end within a timeout (no hang) with a non-zero exit and an error naming
# the temporary file; an existing output file stays byte-identical, a missing one is not
# created, and no .tmp file is left.  (The MPI-IO writer hung in these cases.)
# usage: t600-hgconvert-fault.sh HGCONVERT FAULTFS DATADIR NP
set -u
C=$1; F=$2; D=$3; NP=${4:-2}; LAST=$((NP - 1))
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
SVM="-in $D/good.svm"; CSV="-in $D/good.csv -data_csv_skip_columns id -data_csv_label_column label"
# larger inputs (2000 rows), so that rank 0's rows outweigh any slack in the metadata size below
awk 'BEGIN { for (i = 0; i < 2000; i++) printf "%d 1:%d 3:0.5 7:%d.25\n", i % 2, i % 9 + 1, i % 5 - 2 }' > big.svm
awk 'BEGIN { print "a,b,label,c"; for (i = 0; i < 2000; i++) printf "%d.5,%d,%d,0.125\n", i % 7, i % 3, i % 2 }' > big.csv
BSVM="-in $W/big.svm"; BCSV="-in $W/big.csv -data_csv_label_column label"
mpiexec --oversubscribe -n $NP $C $SVM -out $W/keep.h5 < /dev/null > k.log 2>&1 || { cat k.log; fail "conversion without a fault"; }
mpiexec --oversubscribe -n $NP $C $BSVM -out $W/keepb.h5 < /dev/null > k.log 2>&1 || { cat k.log; fail "conversion without a fault"; }
mpiexec --oversubscribe -n $NP $C $BCSV -out $W/keepd.h5 < /dev/null > k.log 2>&1 || { cat k.log; fail "conversion without a fault"; }
# rank 0 writes the file's metadata (its size less the datasets' raw data) before its rows:
# metadata + 8 bytes fail rank 0 in its first rows, 0 bytes in its creation of the file
meta() { echo $(( $(stat -c %s $1) - $(h5ls -rv $1 | sed -n 's/.*Storage: *[0-9]* logical bytes, \([0-9]*\) allocated.*/\1/p' | paste -sd+ | bc) )); }
MS=$(( $(meta $W/keepb.h5) + 8 )); MD=$(( $(meta $W/keepd.h5) + 8 ))
[ $MS -gt 1000 ] && [ $MD -gt 1000 ] || fail "metadata sizes $MS, $MD: h5ls output not understood"
n=0
while read -r RANK BYTES EXIST ARGS; do
  n=$((n + 1)); OUT=$W/out$n.h5
  [ "$EXIST" = 1 ] && cp $W/keep.h5 $OUT
  timeout 60 mpiexec --oversubscribe -n $NP -x LD_PRELOAD=$F -x HG_FAULT_RANK=$RANK -x HG_FAULT_BYTES=$BYTES \
    $C $ARGS -out $OUT -data_write_piece_bytes 100 < /dev/null > f$n.log 2>&1
  rc=$?
  [ $rc = 124 ] && fail "case $n (rank $RANK, $BYTES bytes, $ARGS): hung (killed after 60 s)"
  [ $rc = 0 ] && { cat f$n.log; fail "case $n (rank $RANK, $BYTES bytes, $ARGS): a failed write was reported as success"; }
  [ $RANK = 0 ] && [ $BYTES != 0 ] && W0="writing .*" || W0=""
  grep -q "out$n.h5.tmp: $W0.*on rank $RANK" f$n.log || { cat f$n.log; fail "case $n (rank $RANK, $BYTES bytes): no error naming the file and the failing rank"; }
  if [ "$EXIST" = 1 ]; then cmp -s $OUT $W/keep.h5 || fail "case $n: the existing output file was changed"
  else [ -e $OUT ] && fail "case $n: a failed conversion wrote its output"; fi
  [ -e $OUT.tmp ] && fail "case $n: the temporary file was left behind"
done <<CASES
$LAST 0 1 $SVM
$LAST 100 1 $CSV
$LAST 100 0 $SVM
0 0 1 $SVM
0 $MS 0 $BSVM
0 $MD 1 $BCSV
CASES
[ $n = 6 ] || fail "ran $n of 6 cases"
echo "hgconvert: a write failing on rank 0 or on rank $LAST of $NP fails everywhere, output untouched"
