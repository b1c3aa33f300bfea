#!/usr/bin/env bash
# hgrun -problem denoise (lower variable on a 2-D DMDA): a run stopped at 3 iterations and resumed
# to 6 equals the uninterrupted run, bitwise on the same ranks and to 1e-10 from NB to NA ranks.
# The run file holds w and v in the DMDA's natural ordering (before the fix, -resume failed in
# VecLoad: "Dimension of array in file is 1, not 3").
# usage: t801-denoise-resume.sh HGRUN NP_A NP_B   (needs h5diff/h5dump from hdf5-tools)
set -u
R=$1; NA=${2:-2}; NB=${3:-1}
MPI="mpiexec --oversubscribe"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
for t in h5diff h5dump; do command -v $t >/dev/null || fail "$t not found: install hdf5-tools (cmake/hg-setup.sh does)"; done
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem denoise -denoise_reg foe -denoise_foe_filters 3 -denoise_foe_size 3 -denoise_foe_zero_mean -hg_type aid -hg_ksp_type cg
   -lower_type heavyball -lower_max_it 2000 -lower_rtol 1e-8 -hg_k 2000 -hg_adjoint_rtol 1e-8 -hg_bound false -outer_type nesterov -outer_step 0.5"

$MPI -n $NA $R $O -outer_max_it 6 -outer_checkpoint ref.h5 > ref.log 2>&1 || { cat ref.log; fail "reference run"; }
[ "$(attr ref.h5 iteration)" = 6 ] || fail "reference checkpoint iteration $(attr ref.h5 iteration) != 6"
# same ranks: bitwise (lambda, w, v and the history but its wall-clock times)
$MPI -n $NA $R $O -outer_max_it 3 -outer_checkpoint b.h5 > b1.log 2>&1 || { cat b1.log; fail "run to 3"; }
$MPI -n $NA $R $O -outer_max_it 6 -resume b.h5 > b2.log 2>&1 || { cat b2.log; fail "resume on $NA ranks"; }
for d in $(h5ls -r ref.h5 | awk '$2 == "Dataset" {print $1}'); do
  [ "$d" = /history/time ] && continue
  h5diff ref.h5 b.h5 $d $d > /dev/null || fail "resume on $NA ranks: $d differs from the uninterrupted run: $(h5diff ref.h5 b.h5 $d $d | head -5)"
done
# NB ranks, then NA: other pixel blocks, the same natural ordering in the file
$MPI -n $NB $R $O -outer_max_it 3 -outer_checkpoint c.h5 > c1.log 2>&1 || { cat c1.log; fail "run to 3 on $NB ranks"; }
$MPI -n $NA $R $O -outer_max_it 6 -resume c.h5 > c2.log 2>&1 || { cat c2.log; fail "resume from $NB to $NA ranks"; }
for d in /lambda /w /v; do
  h5diff -p 1e-10 ref.h5 c.h5 $d $d > /dev/null || fail "resume from $NB to $NA ranks: $d differs by more than 1e-10 relative: $(h5diff -p 1e-10 ref.h5 c.h5 $d $d | head -5)"
done
echo "t801: denoise resumed bitwise on $NA ranks and within 1e-10 from $NB ranks"
