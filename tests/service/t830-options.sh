#!/usr/bin/env bash
# Options that must not pass in silence or mislead (issue 15): hgrun and hgsolve refuse unread,
# value-less, out-of-range and meaningless options with a message naming the option and a
# non-zero exit, before any checkpoint is written; legitimate PETSc options still work; -help
# lists real defaults and runs nothing; the closing messages say what happened.
# usage: t830-options.sh HGRUN HGSOLVE NP
set -u
R=$1; S=$2; NP=${3:-1}
MPI="mpiexec --oversubscribe -n $NP"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
n=0
# refuse NAME REGEX APP ARGS...: a non-zero exit, REGEX in the output, no checkpoint file left
refuse() {
  local name=$1 re=$2; shift 2
  n=$((n + 1))
  rm -f run.h5
  "$@" > e$n.log 2>&1 && { cat e$n.log; fail "$name: accepted (exit 0): $*"; }
  grep -qE -- "$re" e$n.log || { cat e$n.log; fail "$name: no message matching '$re'"; }
  [ -e run.h5 ] && fail "$name: a checkpoint was written by a refused run"
  return 0
}
C="-outer_max_it 2 -outer_checkpoint run.h5"

# unread options of any prefix (the old check knew only -outer_, -hg_, -lower_, -data_)
refuse "misspelt problem option" "Unknown option -lr_pp 10: nothing in this run reads it" $MPI $R -problem logreg -lr_p 20 -lr_ntrain 50 -lr_nval 50 -lr_pp 10 $C
refuse "misspelt -problem" "Unknown option -problm biasreg" $MPI $R -problm biasreg $C
refuse "misspelt -resume" "Unknown option -resum F" $MPI $R -resum F $C
refuse "-resume without a file" "-resume needs the checkpoint file" $MPI $R $C -resume
refuse "two unread options" "Unknown options -.*, -.*: nothing in this run reads them" $MPI $R -foo 1 -bar $C
refuse "an unused PETSc option" "Unknown option -vec_type cuda" $MPI $R -vec_type cuda $C
refuse "hgsolve misspelt option" "Unknown option -lower_max_itt 3" $MPI $S -lower_max_itt 3
# value-less, out of range
refuse "-outer_step without a value" "-outer_step needs a numeric value" $MPI $R $C -outer_step
refuse "-lower_rtol without a value" "-lower_rtol needs a numeric value" $MPI $S -lower_rtol
refuse "-outer_checkpoint_every without -outer_checkpoint" "-outer_checkpoint_every 3 needs a checkpoint file: give -outer_checkpoint" $MPI $R -outer_max_it 2 -outer_checkpoint_every 3
refuse "-outer_checkpoint without a file" "-outer_checkpoint needs a file name" $MPI $R -outer_max_it 2 -outer_checkpoint
refuse "integer overflow (wrapped before)" "-outer_checkpoint_every 99999999999999 is out of range" $MPI $R $C -outer_checkpoint_every 99999999999999
refuse "integer overflow (-1 before)" "-lower_max_it 99999999999999999999 is out of range" $MPI $R $C -lower_max_it 99999999999999999999
refuse "problem size overflow" "-lr_p 5000000000 is out of range" $MPI $S -problem logreg -lr_p 5000000000
# meaningless values: an outer loop that goes nowhere
refuse "-lower_max_it 0" "-lower_max_it .* must be >= 1; got 0" $MPI $R $C -lower_max_it 0
refuse "-hg_k 0" "-hg_k .* must be >= 1; got 0" $MPI $R $C -hg_k 0
refuse "-hg_k 0 in hgsolve" "-hg_k .* must be >= 1; got 0" $MPI $S -hg_k 0
# itd with a huge t: refused before the first step, not after filling the memory
SECONDS=0
refuse "itd trajectory larger than the memory" "memory available there. Use -lower_trajectory_type every or revolve" $MPI $S -hg_type itd -lower_max_it 1000000000
[ $SECONDS -lt 20 ] || fail "itd with t = 1e9 took $SECONDS s to be refused"
# the TAO lower level's own tolerance options are refused in favour of -lower_atol/-lower_rtol
refuse "-lower_tao_gatol" "-lower_tao_gatol is set by the lower level: use -lower_atol" $MPI $S -lower_type tao -lower_tao_gatol 1e-3

# a lower level that diverges at the initial lambda: the outer step is not the cause
n=$((n + 1))
$MPI $R -lower_step 1e10 -outer_max_it 3 > e$n.log 2>&1; rc=$?
[ $rc = 3 ] || { cat e$n.log; fail "-lower_step 1e10: exit $rc, expected 3"; }
grep -q "initial lambda, so the outer step is not the cause: check -lower_step" e$n.log || { cat e$n.log; fail "-lower_step 1e10: no message pointing at the lower level"; }
grep -q "reduce -outer_step" e$n.log && fail "-lower_step 1e10: the message still says reduce -outer_step"
grep -qE "f 0\.0+e\+00" e$n.log && fail "-lower_step 1e10: the closing line reports f = 0 for a failed hypergradient"

# a flag option given alone keeps its meaning: -hg_test_hypergradient alone is 3 directions (it was ignored)
$MPI $S -hg_test_hypergradient > tst.log 2>&1 || { cat tst.log; fail "-hg_test_hypergradient alone failed"; }
grep -q "3 random directions" tst.log || { cat tst.log; fail "-hg_test_hypergradient alone: no test run"; }
grep -q "largest |h.d - fd| / ||h||" tst.log || fail "-hg_test_hypergradient: the error is not reported relative to ||h||"

# -outer_max_it 0: no hypergradient, so no f = 0 in the closing line
$MPI $R -outer_max_it 0 > m0.log 2>&1 || { cat m0.log; fail "-outer_max_it 0 failed"; }
grep -q "no hypergradient computed" m0.log || { cat m0.log; fail "-outer_max_it 0: no message"; }
grep -qE " f [0-9]" m0.log && { cat m0.log; fail "-outer_max_it 0: an objective value is printed"; }

# legitimate PETSc options are read late (viewers, converged reasons, PetscFinalize) and pass
$MPI $R -outer_max_it 2 -log_view :/dev/null -hg_ksp_converged_reason :/dev/null -hg_ksp_view :/dev/null -lower_type tao \
  -lower_tao_view :/dev/null -lower_tao_converged_reason -options_left 0 -malloc_dump > ok.log 2>&1 || { cat ok.log; fail "legitimate PETSc options refused"; }
grep -q "CONVERGED_ITS after 2 outer iterations" ok.log || { cat ok.log; fail "the run with PETSc options did not finish"; }

# -help: lists the options with their real defaults, runs no outer iteration, writes no checkpoint
$MPI $R -help -outer_checkpoint run.h5 -outer_max_it 50 > help.log 2>&1 || { tail -20 help.log; fail "-help failed"; }
[ -e run.h5 ] && fail "-help wrote a checkpoint"
grep -q "CONVERGED_ITS" help.log && fail "-help ran the outer loop"
grep -q -- "-outer_step <now 0.1" help.log || fail "-help does not list -outer_step"
for o in "-hg_k <now t (-lower_max_it)" "-lower_step <now 2/(L+mu)" "-outer_momentum <now k/(k+3)" "-lower_momentum <now ((sqrt(L)" "-lower_trajectory_interval <now ceil(sqrt(t))"; do
  grep -qF -- "$o" help.log || { grep -E -- "-hg_k|-lower_step|-outer_momentum" help.log; fail "-help: '$o' not shown"; }
done
grep -qE -- "-(hg_k|lower_step|outer_momentum|lower_momentum|lower_trajectory_interval|lower_trajectory_snapshots) <(now )?-2" help.log && fail "-help still shows the placeholder -2"
$MPI $S -help > shelp.log 2>&1 || fail "hgsolve -help failed"
grep -q "||h||" shelp.log && fail "hgsolve -help computed a hypergradient"
echo "t830: $n refusals with their messages, -help, -outer_max_it 0, PETSc options: ok"
exit 0
