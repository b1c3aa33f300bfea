#!/usr/bin/env bash
# hgrun under mpiexec (issue 15): SIGUSR2 sent to mpiexec (Open MPI forwards it to every rank)
# and SIGTERM sent to the ranks stop the run after the current iteration with a checkpoint
# (reason STOPPED_SIGNAL), one message (rank 0 only) and exit 0; the checkpoint resumes.
# usage: t840-signals.sh HGRUN NP   (needs h5dump from hdf5-tools)
set -u
R=$1; NP=${2:-2}
W=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
command -v h5dump > /dev/null || fail "h5dump not found: install hdf5-tools"
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem logreg -lr_p 60 -lr_ntrain 300 -lr_nval 300 -outer_type nesterov -outer_step 0.05 -lower_max_it 400 -hg_k 20 -outer_max_it 100000 -outer_monitor"
for how in usr2-to-mpiexec term-to-ranks; do
  mpiexec --oversubscribe -n $NP $R $O -outer_checkpoint $how.h5 > $how.log 2>&1 &
  pid=$!
  for i in $(seq 1 600); do n=$(grep -c "HGOuter f" $how.log 2>/dev/null); [ "${n:-0}" -ge 2 ] && break; sleep 0.05; done
  [ "$(grep -c "HGOuter f" $how.log)" -ge 2 ] || { cat $how.log; fail "$how: the run did not start"; }
  if [ $how = usr2-to-mpiexec ]; then kill -USR2 $pid; else pkill -TERM -P $pid; fi
  wait $pid; rc=$?
  [ $rc = 0 ] || { cat $how.log; fail "$how: exit $rc, expected 0"; }
  [ "$(grep -c "signal received" $how.log)" = 1 ] || { cat $how.log; fail "$how: $(grep -c "signal received" $how.log) signal messages on $NP ranks, expected 1"; }
  [ "$(grep -c "hgrun: stopped by a signal" $how.log)" = 1 ] || { cat $how.log; fail "$how: no (or more than one) closing message"; }
  [ "$(attr $how.h5 reason)" = STOPPED_SIGNAL ] || fail "$how: checkpoint reason $(attr $how.h5 reason)"
  it=$(attr $how.h5 iteration)
  mpiexec --oversubscribe -n $NP $R $O -outer_max_it $((it + 2)) -resume $how.h5 > $how.2.log 2>&1 || { cat $how.2.log; fail "$how: resume"; }
  [ "$(attr $how.h5 iteration)" = $((it + 2)) ] || fail "$how: resume did not continue from iteration $it"
  echo "t840: $how on $NP ranks: stopped after iteration $it, exit 0, one message, resumed"
done
exit 0
