#!/usr/bin/env bash
# hgconvert on NP ranks (every rank writes its rows): the LIBSVM and CSV copies of the test data
# set, converted, equal the HDF5 copies written independently by make-corpus.py (h5diff), also
# in pieces of 100 bytes (several collective writes per rank, uneven across ranks); a bad reader
# option is refused; a failed conversion leaves an existing output file as it was.
# usage: t600-hgconvert.sh HGCONVERT DATADIR NP
set -u
C=$1; D=$2; NP=${3:-2}
MPI="mpiexec --oversubscribe -n $NP"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
command -v h5diff >/dev/null || fail "h5diff not found: install hdf5-tools"
$MPI $C -in $D/good.svm -out $W/svm.h5 > a.log 2>&1 || { cat a.log; fail "LIBSVM conversion"; }
h5diff $W/svm.h5 $D/good_csr.h5 /X/data /X/data && h5diff $W/svm.h5 $D/good_csr.h5 /X/indices /X/indices && h5diff $W/svm.h5 $D/good_csr.h5 /X/indptr /X/indptr && h5diff $W/svm.h5 $D/good_csr.h5 /y /y || fail "LIBSVM -> HDF5 differs from good_csr.h5"
$MPI $C -in $D/good.csv -data_csv_skip_columns id -data_csv_label_column label -out $W/csv.h5 > b.log 2>&1 || { cat b.log; fail "CSV conversion"; }
h5diff $W/csv.h5 $D/good_dense.h5 /X /X && h5diff $W/csv.h5 $D/good_dense.h5 /y /y || fail "CSV -> HDF5 differs from good_dense.h5"
$MPI $C -in $D/good.svm -out $W/svm2.h5 -data_write_piece_bytes 100 > d.log 2>&1 || { cat d.log; fail "LIBSVM conversion in small pieces"; }
h5diff $W/svm2.h5 $D/good_csr.h5 /X/data /X/data && h5diff $W/svm2.h5 $D/good_csr.h5 /X/indices /X/indices && h5diff $W/svm2.h5 $D/good_csr.h5 /X/indptr /X/indptr && h5diff $W/svm2.h5 $D/good_csr.h5 /y /y || fail "LIBSVM -> HDF5 in small pieces differs from good_csr.h5"
$MPI $C -in $D/good.csv -data_csv_skip_columns id -data_csv_label_column label -out $W/csv2.h5 -data_write_piece_bytes 100 > e.log 2>&1 || { cat e.log; fail "CSV conversion in small pieces"; }
h5diff $W/csv2.h5 $D/good_dense.h5 /X /X && h5diff $W/csv2.h5 $D/good_dense.h5 /y /y || fail "CSV -> HDF5 in small pieces differs from good_dense.h5"
cp $W/csv2.h5 $W/keep.h5
$MPI $C -in $D/bad/nan.svm -out $W/csv2.h5 > f.log 2>&1 && fail "a bad input file was converted"
grep -q "nan.svm: line 3" f.log || { cat f.log; fail "no message naming the bad input"; }
cmp -s $W/csv2.h5 $W/keep.h5 || fail "a failed conversion changed the existing output file"
[ -e $W/csv2.h5.tmp ] && fail "a failed conversion left its temporary file"
$MPI $C -in $D/good.csv -data_csv_delimiter ab -out $W/bad.h5 > c.log 2>&1 && fail "a two-character delimiter was accepted"
grep -q "data_csv_delimiter must be one character" c.log || { cat c.log; fail "no message for the delimiter"; }
[ -e $W/bad.h5 ] && fail "a refused conversion wrote its output"
echo "hgconvert: LIBSVM and CSV equal the HDF5 copies on $NP ranks"
