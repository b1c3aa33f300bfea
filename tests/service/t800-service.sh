#!/usr/bin/env bash
# hgrun end to end: resume bitwise identical at equal ranks, 1e-10 across ranks, kill -9 in
# the middle then resume, SIGTERM stops with a checkpoint, refused and untouched files.
# usage: t800-service.sh HGRUN NP_A NP_B   (needs h5diff/h5dump from hdf5-tools)
set -u
R=$1; NA=${2:-2}; NB=${3:-1}
MPI="mpiexec --oversubscribe"
W=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
for t in h5diff h5dump; do command -v $t >/dev/null || fail "$t not found: install hdf5-tools (cmake/hg-setup.sh does)"; done
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem logreg -lr_p 60 -lr_ntrain 300 -lr_nval 300 -outer_type nesterov -outer_step 0.05 -lower_max_it 40 -hg_k 20"

# 1. reference run, uninterrupted
$MPI -n $NA $R $O -outer_max_it 12 -outer_checkpoint ref.h5 > ref.log 2>&1 || { cat ref.log; fail "reference run"; }
[ "$(attr ref.h5 iteration)" = 12 ] || fail "reference checkpoint iteration $(attr ref.h5 iteration) != 12"
[ "$(attr ref.h5 reason)" = CONVERGED_ITS ] || fail "reference reason"

# 2. stop at 5, resume to 12 on the same ranks: bitwise identical lambda, w, v, history
$MPI -n $NA $R $O -outer_max_it 5 -outer_checkpoint b.h5 > b1.log 2>&1 || fail "run to 5"
$MPI -n $NA $R $O -outer_max_it 12 -resume b.h5 > b2.log 2>&1 || { cat b2.log; fail "resume"; }
#    every dataset of the run file, every history field included (the error bound too), except
#    /history/time (wall-clock seconds)
dsets=$(h5ls -r ref.h5 | awk '$2 == "Dataset" {print $1}')
[ "$(echo "$dsets" | grep -c '^/history/')" -ge 12 ] || fail "the run file lists fewer than 12 history fields: $dsets"
[ "$(h5ls -r b.h5 | awk '$2 == "Dataset" {print $1}')" = "$dsets" ] || fail "resume on $NA ranks: the run file has other datasets than the uninterrupted run"
for d in $dsets; do
  [ "$d" = /history/time ] && continue
  h5diff ref.h5 b.h5 $d $d > /dev/null || fail "resume on $NA ranks: $d differs from the uninterrupted run: $(h5diff ref.h5 b.h5 $d $d | head -5)"
done

# 3. stop at 5 on NB ranks, resume on NA ranks: agrees to 1e-10 relative
$MPI -n $NB $R $O -outer_max_it 5 -outer_checkpoint c.h5 > c1.log 2>&1 || fail "run to 5 on $NB ranks"
$MPI -n $NA $R $O -outer_max_it 12 -resume c.h5 > c2.log 2>&1 || { cat c2.log; fail "resume across ranks"; }
h5diff -p 1e-10 ref.h5 c.h5 /lambda /lambda > /dev/null || fail "resume from $NB to $NA ranks: lambda differs by more than 1e-10 relative"
[ "$(attr c.h5 nranks)" = $NA ] || fail "nranks attribute"

# 4. kill -9 in the middle of a run (checkpoint every iteration), then resume.  The checkpoint
#    paths are absolute ($W is this test's own directory), so that the pkill patterns below match
#    this test's processes only, not those of the other t800 tests ctest -j runs beside it
OL="-problem logreg -lr_p 60 -lr_ntrain 300 -lr_nval 300 -outer_type nesterov -outer_step 0.05 -lower_max_it 400 -hg_k 20"
$MPI -n $NA $R $OL -outer_max_it 60 -outer_checkpoint full.h5 > full.log 2>&1 || fail "long reference run"
$MPI -n $NA $R $OL -outer_max_it 60 -outer_checkpoint $W/k.h5 -outer_checkpoint_every 1 > k.log 2>&1 &
for i in $(seq 1 200); do [ -f k.h5 ] && [ "$(attr k.h5 iteration 2>/dev/null)" -ge 3 ] 2>/dev/null && break; sleep 0.05; done
pkill -9 -f "$R $OL -outer_max_it 60 -outer_checkpoint $W/k.h5"; wait 2>/dev/null
it=$(attr k.h5 iteration)
[ -n "$it" ] && [ "$it" -ge 1 ] || fail "no valid checkpoint after kill -9"
[ "$it" -lt 60 ] || fail "the run finished before kill -9 (iteration $it): make it longer"
echo "kill -9 after the checkpoint of iteration $it"
$MPI -n $NA $R $OL -outer_max_it 60 -resume k.h5 > k2.log 2>&1 || { cat k2.log; fail "resume after kill -9 (checkpoint at $it)"; }
h5diff full.h5 k.h5 /lambda /lambda > /dev/null || fail "resume after kill -9 at iteration $it: lambda differs from the uninterrupted run"

# 5. SIGUSR1 writes a checkpoint; SIGTERM: finishes the iteration, writes the checkpoint, says so, exits 0; resume completes it
$MPI -n $NA $R $OL -outer_max_it 60 -outer_checkpoint $W/s.h5 -outer_checkpoint_every 1000 -outer_monitor > s.log 2>&1 &
pid=$!
for i in $(seq 1 400); do [ "$(grep -c "HGOuter f" s.log 2>/dev/null)" -ge 2 ] && break; sleep 0.05; done
# SIGUSR1: a checkpoint on request, and the run goes on
pkill -USR1 -f "^$R $OL -outer_max_it 60 -outer_checkpoint $W/s.h5"
for i in $(seq 1 400); do [ -f s.h5 ] && break; sleep 0.05; done
[ -f s.h5 ] || fail "SIGUSR1: no checkpoint written"
[ "$(attr s.h5 reason)" = ITERATING ] || fail "SIGUSR1: checkpoint reason $(attr s.h5 reason), expected ITERATING"
pkill -TERM -f "^$R $OL -outer_max_it 60 -outer_checkpoint $W/s.h5"
grep -q "CONVERGED_ITS" s.log && fail "the run finished before SIGTERM: make it longer"
wait $pid; rc=$?
[ $rc = 0 ] || { cat s.log; fail "SIGTERM: exit code $rc, expected 0"; }
grep -q "stopped by a signal" s.log
echo "SIGTERM: $(grep "stopped by a signal" s.log)" || { cat s.log; fail "SIGTERM: no message"; }
[ "$(attr s.h5 reason)" = STOPPED_SIGNAL ] || fail "SIGTERM: reason $(attr s.h5 reason)"
$MPI -n $NA $R $OL -outer_max_it 60 -resume s.h5 > s2.log 2>&1 || fail "resume after SIGTERM"
h5diff full.h5 s.h5 /lambda /lambda > /dev/null || fail "resume after SIGTERM: lambda differs"

# 6. refusals leave files untouched
sum=$(md5sum ref.h5)
$MPI -n $NA $R $O -outer_max_it 3 -outer_checkpoint ref.h5 > e1.log 2>&1 && fail "a new run replaced an existing checkpoint"
grep -q "already exists" e1.log || fail "no message for an existing checkpoint"
$MPI -n $NA $R -problem krr -resume ref.h5 > e2.log 2>&1 && fail "resume with another problem accepted"
grep -q "was written with problem" e2.log || fail "no message for another problem"
$MPI -n $NA $R $O -lr_p 61 -resume ref.h5 > e3.log 2>&1 && fail "resume with other sizes accepted"
grep -q "dimension" e3.log || fail "no message for other sizes"
[ "$(md5sum ref.h5)" = "$sum" ] || fail "a refused run modified the checkpoint"
cp ref.h5 t.h5; truncate -s 4000 t.h5; sum=$(md5sum t.h5)
$MPI -n $NA $R $O -outer_max_it 20 -resume t.h5 > e4.log 2>&1 && fail "truncated checkpoint accepted"
grep -q "truncated or corrupt" e4.log || { cat e4.log; fail "no message for a truncated checkpoint"; }
[ "$(md5sum t.h5)" = "$sum" ] || fail "the truncated checkpoint was modified"
echo "not hdf5" > g.h5
$MPI -n $NA $R $O -resume g.h5 > e5.log 2>&1 && fail "non-HDF5 checkpoint accepted"
grep -q "not an HDF5 file" e5.log || fail "no message for a non-HDF5 checkpoint"
$MPI -n $NA $R $O -outer_checkpoint nodir/x.h5 > e6.log 2>&1 && fail "checkpoint into a missing directory accepted"
grep -q "does not exist or is not writable" e6.log || fail "no message for a missing directory"
$MPI -n $NA $R $O -outer_step -1 > e7.log 2>&1 && fail "negative step accepted"
grep -q "outer_step must be" e7.log || fail "no message for a negative step"
$MPI -n $NA $R $O -outer_stp 0.1 > e8.log 2>&1 && fail "misspelt option accepted"
grep -q "Unknown option -outer_stp" e8.log || fail "no message for a misspelt option"
exit 0
