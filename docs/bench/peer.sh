#!/bin/bash
# The cases of ../shared/BENCHMARKS.md through hgbench, one after the other (run them on an idle
# machine: the figures are times).  Usage: bash docs/bench/peer.sh [outdir] [dense]
#   outdir: where the logs and CSV files go (default docs/bench/out)
#   dense:  also the dense 20000 x 10000 LR case (about 5 GiB and 3-4 minutes per rank count)
# Each case writes <name>.log (hgbench's whole report) and <name>.csv (-bench_csv).
set -u
cd "$(dirname "$0")/../.."
out=${1:-docs/bench/out}
dense=${2:-}
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
B=build/apps/hgbench
CG="-hg_type aid -hg_ksp_type cg"
SP="-problem logreg -lr_sparse -lr_p 10000 -lr_ntrain 20000 -lr_nval 20000 -lr_nnz_per_row 100 -bench_bytes_per_entry 12"
run() { # name ranks args...
  local name=$1 np=$2; shift 2
  echo "== $name ($np rank(s)): $*"
  mpiexec --oversubscribe -n "$np" $B "$@" -bench_csv "$out/$name.csv" > "$out/$name.log" 2>&1 || { echo "$name failed: see $out/$name.log"; return 1; }
  grep -A2 -E "^ +t +k +hypergrad" "$out/$name.log" | tail -n +2
}
T="-bench_triad_n 20000000"
run small-lr-cg 1 -problem logreg $CG -bench_t 500 -bench_reps 5 $T
run krr-cg 1 -problem krr -krr_p 10 -krr_ntrain 500 -krr_nval 500 $CG -bench_t 500 -bench_reps 5 $T
run krr-cg-newlambda 1 -problem krr -krr_p 10 -krr_ntrain 500 -krr_nval 500 $CG -bench_t 500 -bench_reps 5 -bench_new_lambda $T
run krr-itd 1 -problem krr -krr_p 10 -krr_ntrain 500 -krr_nval 500 -hg_type itd -bench_t 500 -bench_reps 3 $T
run krr-itd-newlambda 1 -problem krr -krr_p 10 -krr_ntrain 500 -krr_nval 500 -hg_type itd -bench_t 500 -bench_reps 3 -bench_new_lambda $T
run br-cg 1 -problem biasreg -br_p 1000 -br_ntrain 500 -br_nval 500 $CG -bench_t 500 -bench_reps 5 $T
run br-cg-2ranks 2 -problem biasreg -br_p 1000 -br_ntrain 500 -br_nval 500 $CG -bench_t 500 -bench_reps 5 $T
run hr-itd 1 -problem hyperrep -hg_type itd -bench_t 500 -bench_reps 3 $T
run sparse-lr-cg 1 $SP $CG -bench_t 10,100 -bench_reps 5 $T
run sparse-lr-cg-2ranks 2 $SP $CG -bench_t 10,100 -bench_reps 5 $T
run sparse-lr-cg-twopass 1 $SP $CG -lr_fused 0 -bench_t 10,100 -bench_reps 5 $T
run sparse-lr-itd 1 $SP -hg_type itd -bench_t 100 -bench_reps 3 $T
if [ -n "$dense" ]; then
  D="-problem logreg -lr_p 10000 -lr_ntrain 20000 -lr_nval 20000 $CG -bench_t 100 -bench_reps 1 -bench_triad_n 100000000"
  run dense-lr-cg 1 $D
  run dense-lr-cg-2ranks 2 $D
fi
