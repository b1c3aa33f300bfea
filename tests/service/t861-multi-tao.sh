#!/usr/bin/env bash
# hgrun -outer_type tao with mini-batches of instances (-hg_multi_batch B < n) is refused: every
# TAO method assumes one deterministic f.  The error names -hg_multi_batch and -outer_type, the
# exit is non-zero, and no run file (or lock) is created, overwritten or touched; B = n and no
# batch still run.  And a tao run whose line search reaches a lambda where the instances' lower
# constants are unknown ends with hgrun's closing line (0 or 3), not a crash in the adjoint KSP.
# usage: t861-multi-tao.sh HGRUN NP
. "$(dirname "${BASH_SOURCE[0]}")/prologue.sh"
N=4
O="-problem multi -hg_type multi -multi_n $N -sub_problem biasreg -sub_br_p 6 -sub_br_ntrain 40 -sub_br_nval 5 -sub_lower_max_it 100 -sub_hg_k 20 -outer_type tao -outer_max_it 3"
refused() { # log what: the run failed with the message
  grep -q -- "-hg_multi_batch 2 of $N" "$1" && grep -q -- "-outer_type tao" "$1" && grep -q "gd or nesterov" "$1" || { cat "$1"; fail "$2: no message naming -hg_multi_batch, -outer_type tao and what to do"; }
}

# 0. logreg instances: the line search of blmvm reaches a lambda where the lower constants are
#    unknown, so the adjoint KSP must estimate them (CG and GMRES need that known before their
#    set-up: CG crashed, GMRES refused "Must call KSPSetComputeSingularValues() before KSPSetUp()")
L="-problem multi -hg_type multi -multi_n $N -sub_problem logreg -sub_lr_p 6 -sub_lr_ntrain 40 -sub_lr_nval 5 -sub_lower_max_it 30 -sub_hg_k 10 -outer_type tao -outer_max_it 3"
for k in cg gmres; do
  $MPI $R $L -sub_hg_ksp_type $k > l$k.log 2>&1; rc=$?
  { [ $rc = 0 ] || [ $rc = 3 ]; } && grep -q "^hgrun: .* after .* outer iterations" l$k.log || { cat l$k.log; fail "tao on logreg instances with -sub_hg_ksp_type $k: exit $rc, no closing line"; }
done

# 1. a tao run without a batch and with B = n (every instance) works and writes its run file
$MPI $R $O -outer_checkpoint keep.h5 > ok1.log 2>&1 || { cat ok1.log; fail "tao without a batch"; }
[ -s keep.h5 ] || fail "tao without a batch wrote no run file"
$MPI $R $O -hg_multi_batch $N > ok2.log 2>&1 || { cat ok2.log; fail "tao with -hg_multi_batch $N = n"; }
sum0=$(md5sum keep.h5 | cut -d' ' -f1)

# 2. a new run with a batch: refused, no run file and no lock created
$MPI $R $O -hg_multi_batch 2 -outer_checkpoint new.h5 > e1.log 2>&1 && fail "tao with -hg_multi_batch 2 accepted"
refused e1.log "new run"
[ -e new.h5 ] && fail "the refused run created its run file"
[ -e new.h5.lock ] && fail "the refused run left a lock file"

# 3. another TAO method (lmvm), replacing an existing run file: refused, the file untouched
$MPI $R $O -outer_tao_type lmvm -hg_multi_batch 2 -outer_checkpoint keep.h5 -outer_checkpoint_overwrite > e2.log 2>&1 && fail "tao lmvm with -hg_multi_batch 2 accepted"
refused e2.log "-outer_checkpoint_overwrite"
grep -q "TAO lmvm" e2.log || { cat e2.log; fail "the message does not name the TAO method lmvm"; }

# 4. resuming the run file with a batch: refused, the file untouched
$MPI $R $O -hg_multi_batch 2 -outer_max_it 6 -resume keep.h5 > e3.log 2>&1 && fail "resume with -hg_multi_batch 2 accepted"
refused e3.log "resume"
[ "$(md5sum keep.h5 | cut -d' ' -f1)" = "$sum0" ] || fail "a refused run changed the run file"
[ -e keep.h5.lock ] && fail "a refused run left a lock file"
echo "t861: all checks passed"
