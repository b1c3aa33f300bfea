#!/usr/bin/env bash
# hgrun, an overflow at a huge lambda (issue 15.5): gd with a step of 1e6 on logreg with exp weights
# leaves the first lambda for one where the problem's L = ||X||^2/4 + max exp(lambda) is infinite.
# The run must end with a diverged reason and exit 3 (no MPI_ABORT), say what to do, and leave the
# checkpoint of the last iterate whose hypergradient converged, marked with that reason; resuming
# it with a sane step completes the run.
# usage: t830-diverged.sh HGRUN NP   (needs h5dump from hdf5-tools)
. "$(dirname "${BASH_SOURCE[0]}")/prologue.sh"
command -v h5dump >/dev/null || fail "h5dump not found: install hdf5-tools (cmake/hg-setup.sh does)"
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem logreg -lr_exp -lr_p 30 -lr_ntrain 100 -lr_nval 100 -outer_type gd -lower_max_it 50 -hg_k 20"

# 1. the overflow: exit 3, a message, the checkpoint of iteration 0 (every iteration is checkpointed,
#    so the file held the diverging step's lambda before the failure) marked DIVERGED_HG
$MPI $R $O -outer_step 1e6 -outer_max_it 10 -outer_checkpoint d.h5 -outer_checkpoint_every 1 > d.log 2>&1
rc=$?
grep -q "MPI_ABORT" d.log && { cat d.log; fail "the overflow aborted the job"; }
[ $rc = 3 ] || { cat d.log; fail "exit code $rc, expected 3 (diverged)"; }
grep -q "the run diverged (DIVERGED_HG)" d.log || { cat d.log; fail "no message naming the diverged reason"; }
grep -q "overflow" d.log || { cat d.log; fail "the message does not say that the constants overflow"; }
grep -q "smaller -outer_step.*-resume d.h5" d.log || { cat d.log; fail "the message does not say what to do"; }
[ "$(grep -c "the run diverged" d.log)" = 1 ] || { cat d.log; fail "the message is printed more than once"; }
[ "$(attr d.h5 reason)" = DIVERGED_HG ] || fail "checkpoint reason $(attr d.h5 reason), expected DIVERGED_HG"
[ "$(attr d.h5 iteration)" = 0 ] || fail "checkpoint iteration $(attr d.h5 iteration), expected 0 (the last iterate whose hypergradient converged)"
[ "$(attr d.h5 nhistory)" = 0 ] || fail "checkpoint history of $(attr d.h5 nhistory) records, expected 0 (the failed one and the one it undoes dropped)"
[ "$(attr d.h5 complete)" = 1 ] || fail "checkpoint not complete"
h5dump -d /lambda d.h5 | grep -qiE "inf|nan" && fail "the checkpoint holds a lambda with Inf/NaN"

# 2. resumed with a sane step, the run completes from there
$MPI $R $O -outer_step 1 -outer_max_it 3 -resume d.h5 > r.log 2>&1 || { cat r.log; fail "resume with -outer_step 1"; }
[ "$(attr d.h5 reason)" = CONVERGED_ITS ] || fail "resumed run: reason $(attr d.h5 reason)"
[ "$(attr d.h5 iteration)" = 3 ] || fail "resumed run: iteration $(attr d.h5 iteration), expected 3"
[ "$(attr d.h5 nhistory)" = 3 ] || fail "resumed run: $(attr d.h5 nhistory) history records, expected 3"

# 3. without a checkpoint file: the same exit code and a message
$MPI $R $O -outer_step 1e6 -outer_max_it 10 > n.log 2>&1
rc=$?
[ $rc = 3 ] || { cat n.log; fail "without a checkpoint: exit code $rc, expected 3"; }
grep -q "run again with a smaller -outer_step" n.log || { cat n.log; fail "without a checkpoint: no advice"; }
exit 0
