#!/usr/bin/env bash
# The bad input of issue 11 through hgrun, on NP ranks: each refused with a non-zero exit and a
# message naming the option and what to do, and each aimed at an existing run file (with
# -outer_checkpoint_overwrite, or -resume) that must stay byte for byte as it was; no other run
# file appears, and no run.h5.lock is left behind.  (t851 checks the same through the library calls and the user callback:
# an instance on another communicator or with a lambda space of another size.)
# usage: t862-multi-bad-input.sh HGRUN NP
. "$(dirname "${BASH_SOURCE[0]}")/prologue.sh"
N=5
O="-problem multi -hg_type multi -multi_n $N -sub_problem logreg -sub_lr_p 6 -sub_lr_ntrain 40 -sub_lr_nval 5 -sub_lower_max_it 20 -sub_hg_k 5 -hg_multi_batch 2 -outer_type gd -outer_step 0.02 -outer_max_it 2"
$MPI $R $O -outer_checkpoint run.h5 > ok.log 2>&1 || { cat ok.log; fail "the run that writes the run file"; }
sum0=$(md5sum run.h5 | cut -d' ' -f1)
n=0
# refuse NAME GREP OPTIONS...: the run exits non-zero, prints GREP, leaves run.h5 as it was
refuse() {
  local name=$1 pat=$2; shift 2
  n=$((n + 1))
  $MPI $R "$@" > e$n.log 2>&1 && { cat e$n.log; fail "$name: accepted"; }
  grep -q -- "$pat" e$n.log || { cat e$n.log; fail "$name: no message matching '$pat'"; }
  [ "$(md5sum run.h5 | cut -d' ' -f1)" = "$sum0" ] || fail "$name: the run file changed"
  [ "$(ls | grep -c '\.h5$')" = 1 ] || { ls; fail "$name: another run file appeared"; }
  [ -e run.h5.lock ] && fail "$name: the refused run left run.h5.lock behind"
  return 0
}
W1="-outer_checkpoint run.h5 -outer_checkpoint_overwrite"
# more sub-communicators than ranks
refuse "-multi_nsubcomm $((NP + 1)) on $NP ranks" "multi_nsubcomm $((NP + 1)) is not possible on $NP ranks.*at most one per rank" $O -multi_nsubcomm $((NP + 1)) $W1
# K < 2 folds (with a batch of 1, so that B <= n holds)
refuse "-multi_n 1 (K = 1 fold)" "K >= 2" ${O/-hg_multi_batch 2/-hg_multi_batch 1} -multi_n 1 $W1
# K above the number of training samples (40)
refuse "-multi_n 41 > 40 samples" "samples" ${O/-multi_n $N/-multi_n 41} $W1
# B > n, B < 1
refuse "-hg_multi_batch 6 > n = 5" "hg_multi_batch 6 exceeds the number of instances -multi_n $N" ${O/-hg_multi_batch 2/-hg_multi_batch 6} $W1
refuse "-hg_multi_batch 0" "hg_multi_batch must be at least 1" ${O/-hg_multi_batch 2/-hg_multi_batch 0} $W1
refuse "-hg_multi_batch -3" "hg_multi_batch must be at least 1" ${O/-hg_multi_batch 2/-hg_multi_batch -3} $W1
# resume onto a run file written with another n
refuse "-resume with -multi_n 4" "dimension.*-multi_n must be that of the original run" ${O/-multi_n $N/-multi_n 4} -outer_max_it 4 -resume run.h5
refuse "-resume with -multi_n 6" "dimension.*-multi_n must be that of the original run" ${O/-multi_n $N/-multi_n 6} -outer_max_it 4 -resume run.h5
# more sub-communicators than instances (3 ranks: 2 instances on 3 sub-communicators)
if [ "$NP" -ge 3 ]; then
  refuse "-multi_nsubcomm 3 with -multi_n 2" "multi_nsubcomm 3 exceeds the number of instances -multi_n 2" ${O/-multi_n $N/-multi_n 2} -multi_nsubcomm 3 $W1
fi
# the run file still resumes
$MPI $R $O -outer_max_it 3 -resume run.h5 > ok2.log 2>&1 || { cat ok2.log; fail "the run file no longer resumes"; }
echo "t862: $n refusals checked on $NP ranks"
