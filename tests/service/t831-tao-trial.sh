#!/usr/bin/env bash
# A hypergradient that fails at a trial point of TAO's line search (-outer_type tao on logreg:
# the first L-BFGS trial step reaches a lambda where the adjoint CG fails), on NP ranks:
#  1. lmvm (more-thuente): the line search backs off from f = +inf; the run goes on and ends
#     CONVERGED_ITS with exit 0, beyond the iteration of the failed trial;
#  2. blmvm (more-thuente, which steps back to 0 from f = +inf): the run ends DIVERGED_HG with
#     exit 3 and a message naming the failed trial's real reason (DIVERGED_ADJOINT, never
#     "failed with CONVERGED"), where it happened and what to do; the checkpoint of the last good
#     iterate is intact and marked, and resumes with -outer_tao_ls_type armijo to CONVERGED_ITS;
#  3. blmvm with armijo from the start: backs off (the step halved), exit 0.
# usage: t831-tao-trial.sh HGRUN NP
. "$(dirname "${BASH_SOURCE[0]}")/prologue.sh"
command -v h5dump >/dev/null || fail "h5dump not found: install hdf5-tools"
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem logreg -lr_p 20 -lr_ntrain 100 -lr_nval 100 -outer_type tao -lower_max_it 50 -hg_k 20 -outer_max_it 20 -outer_monitor"

# 1. lmvm: backs off and goes on
$MPI $R $O -outer_tao_type lmvm > a.log 2>&1; rc=$?
nf=$(grep -c '|h| nan' a.log)
[ "$nf" -ge 1 ] || { cat a.log; fail "lmvm: no failed trial (the case no longer reproduces)"; }
[ $rc = 0 ] || { cat a.log; fail "lmvm: a failed line-search trial ended the run (exit $rc)"; }
grep -q "hgrun: CONVERGED_ITS" a.log || { cat a.log; fail "lmvm: not CONVERGED_ITS"; }
itf=$(grep -m1 '|h| nan' a.log | awk '{print $1}')
itend=$(sed -n 's/^hgrun: CONVERGED_ITS after \([0-9]*\) outer.*/\1/p' a.log)
[ "$itend" -gt "$itf" ] || fail "lmvm: the run did not go beyond the failed trial (after iteration $itf, ended at $itend)"
echo "lmvm: $nf failed trial(s), the first after iteration $itf; the run went on to iteration $itend"

# 2. blmvm with more-thuente: cannot back off; the true reason, exit 3, a valid checkpoint
$MPI $R $O -outer_tao_type blmvm -outer_checkpoint c.h5 > b.log 2>&1; rc=$?
[ $rc = 3 ] || { cat b.log; fail "blmvm: exit $rc, not 3 (diverged)"; }
grep -q "hgrun: DIVERGED_HG after" b.log || { cat b.log; fail "blmvm: not DIVERGED_HG"; }
grep -q "failed with CONVERGED" b.log && { cat b.log; fail "blmvm: the message names a converged hypergradient as the failure"; }
grep -q "failed at trial points of TAO's line search; the last, after outer iteration [0-9]* at |lambda| [0-9.e+]*, failed with DIVERGED_ADJOINT" b.log || { cat b.log; fail "blmvm: no message naming the failed trial, where and its reason"; }
grep -q "outer_tao_ls_type armijo" b.log || { cat b.log; fail "blmvm: no advice"; }
grep -q "the adjoint solver failed" b.log || { cat b.log; fail "blmvm: the closing line does not name the adjoint failure"; }
[ "$(attr c.h5 reason)" = DIVERGED_HG ] || fail "blmvm: the checkpoint is marked '$(attr c.h5 reason)', not DIVERGED_HG"
[ -e c.h5.lock ] && fail "blmvm: c.h5.lock left behind"
itc=$(attr c.h5 iteration)
$MPI $R $O -outer_tao_type blmvm -outer_tao_ls_type armijo -resume c.h5 > c.log 2>&1 || { cat c.log; fail "the checkpoint of the diverged run does not resume with armijo"; }
grep -q "hgrun: resuming c.h5 at outer iteration $itc" c.log || { cat c.log; fail "resume: wrong iteration"; }
grep -q "hgrun: CONVERGED_ITS" c.log || { cat c.log; fail "resume with armijo: not CONVERGED_ITS"; }
echo "blmvm: $(grep -m1 -o 'failed at trial points[^:]*' b.log)"

# 3. blmvm with armijo: backs off
$MPI $R $O -outer_tao_type blmvm -outer_tao_ls_type armijo > d.log 2>&1 || { cat d.log; fail "blmvm + armijo: exit non-zero"; }
grep -q '|h| nan' d.log || { cat d.log; fail "blmvm + armijo: no failed trial (the case no longer reproduces)"; }
grep -q "hgrun: CONVERGED_ITS" d.log || { cat d.log; fail "blmvm + armijo: not CONVERGED_ITS"; }
echo "blmvm + armijo: $(grep -c '|h| nan' d.log) failed trial(s), $(grep 'hgrun: CONVERGED_ITS' d.log | cut -c1-45)"
exit 0
