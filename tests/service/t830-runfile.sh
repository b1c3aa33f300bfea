#!/usr/bin/env bash
# The run file's guards, end to end with hgrun on NP ranks:
#  1. the disk fills during a checkpoint write (LD_PRELOAD shim FAULTFS: rank 0's writes to
#     *.tmp fail with ENOSPC): every rank exits with the error, no hang, the previous
#     checkpoint intact (it resumes to the uninterrupted run's lambda), no .tmp left;
#  2. a second run on the same run file, or a -resume of it, while the first runs: refused,
#     naming pid and host; a lock held for a process that no longer exists: stale, with how
#     to break it; a refused run leaves the lock of the live run and a leftover lock file as
#     they were;
#  3. a checkpoint path that is a directory: refused before the first iteration;
#  4. resume with other data (-lr_seed) or another outer step: refused naming the option;
#     -outer_resume_force resumes anyway; a refused run leaves no lock file behind;
#  5. a data file changed under the same name (krr): refused; the original resumes on other ranks.
# usage: t830-runfile.sh HGRUN FAULTFS NP
set -u
R=$1; FAULTFS=$2; NP=${3:-2}
MPI="mpiexec --oversubscribe"
W=$(mktemp -d); trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
command -v h5dump >/dev/null || fail "h5dump not found: install hdf5-tools"
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
O="-problem logreg -lr_p 40 -lr_ntrain 200 -lr_nval 200 -outer_type nesterov -outer_step 0.05 -lower_max_it 40 -hg_k 20"

# 1. disk full during the second checkpoint (iteration 4), at several points of the write
$MPI -n $NP $R $O -outer_max_it 6 -outer_checkpoint ref.h5 > ref.log 2>&1 || { cat ref.log; fail "reference run"; }
for bytes in 0 3000 12000; do
  rm -f f.h5 f.h5.tmp
  timeout 60 $MPI -n $NP -x LD_PRELOAD=$FAULTFS -x HG_FAULT_RANK=0 -x HG_FAULT_BYTES=$bytes -x HG_FAULT_FILE=2 \
    $R $O -outer_max_it 6 -outer_checkpoint_every 2 -outer_checkpoint f.h5 > f$bytes.log 2>&1
  rc=$?
  [ $rc = 124 ] && fail "disk full after $bytes bytes of the second checkpoint: the run hangs"
  if [ $rc = 0 ]; then
    # the shim let this write through (the file is smaller than $bytes): the run must be whole
    [ "$(attr f.h5 iteration)" = 6 ] || fail "disk full after $bytes bytes: exit 0 but the checkpoint holds iteration $(attr f.h5 iteration)"
    echo "disk full after $bytes bytes: the second checkpoint was smaller, nothing failed"
    continue
  fi
  grep -q "Checkpoint not written" f$bytes.log || { cat f$bytes.log; fail "disk full after $bytes bytes: no clear error"; }
  grep -q "No space left\|disk full" f$bytes.log || true
  [ -e f.h5.tmp ] && fail "disk full after $bytes bytes: f.h5.tmp left behind"
  [ "$(attr f.h5 iteration)" = 2 ] || fail "disk full after $bytes bytes: the previous checkpoint (iteration 2) is not intact"
  $MPI -n $NP $R $O -outer_max_it 6 -resume f.h5 > r$bytes.log 2>&1 || { cat r$bytes.log; fail "disk full after $bytes bytes: the previous checkpoint does not resume"; }
  h5diff ref.h5 f.h5 /lambda /lambda > /dev/null || fail "disk full after $bytes bytes: resumed from the previous checkpoint, lambda differs from the uninterrupted run"
  echo "disk full after $bytes bytes of the second checkpoint: $(grep -m1 -o 'Checkpoint not written ([^;]*' f$bytes.log)"
done

# 2. the lock
OL="-problem logreg -lr_p 40 -lr_ntrain 200 -lr_nval 200 -outer_type nesterov -outer_step 0.05 -lower_max_it 400 -hg_k 20"
$MPI -n $NP $R $OL -outer_max_it 1000000 -outer_checkpoint $W/l.h5 -outer_checkpoint_every 1 > l1.log 2>&1 &
pid=$!
for i in $(seq 1 400); do [ -f l.h5 ] && break; sleep 0.05; done
[ -f l.h5 ] || { cat l1.log; fail "the first run wrote no checkpoint"; }
lk=$(cat l.h5.lock)
$MPI -n $NP $R $OL -outer_max_it 1000000 -outer_checkpoint $W/l.h5 -outer_checkpoint_overwrite > l2.log 2>&1 && fail "a second run on a run file in use was accepted"
grep -q "is in use by another run (pid [0-9]*, host $(hostname))" l2.log || { cat l2.log; fail "no clear message for a run file in use"; }
$MPI -n $NP $R $OL -outer_max_it 1000000 -resume $W/l.h5 > l3.log 2>&1 && fail "-resume of a run file in use was accepted"
grep -q "is in use by another run" l3.log || { cat l3.log; fail "no clear message for -resume of a run file in use"; }
[ "$(cat l.h5.lock 2>/dev/null)" = "$lk" ] || fail "a run refused because the file is in use touched the lock of the run that holds it"
kill -0 $pid 2>/dev/null || { cat l1.log; fail "the first run ended while the refused runs ran"; }
kill -9 $pid 2>/dev/null; pkill -9 -f "$R $OL -outer_max_it 1000000 -outer_checkpoint $W/l.h5 -outer_checkpoint_every 1"; wait 2>/dev/null
echo "in use: $(grep -m1 -o "$W/l.h5 is in use[^:]*" l2.log | sed "s|$W/||")"
# killed: the lock file is left, but no process holds it any more, so the resume goes on
[ -e l.h5.lock ] || fail "kill -9 removed the lock file?"
# a refused -resume takes the leftover lock over, then gives it back as it found it
lk=$(cat l.h5.lock)
$MPI -n $NP $R $O -outer_step 0.1 -outer_max_it 2 -resume $W/l.h5 > l3b.log 2>&1 && fail "resume of l.h5 with another -outer_step accepted"
grep -q "outer_step" l3b.log || { cat l3b.log; fail "no message naming -outer_step (l.h5)"; }
[ "$(cat l.h5.lock 2>/dev/null)" = "$lk" ] || fail "a refused -resume changed or removed the leftover lock file it took over"
$MPI -n $NP $R $O -outer_max_it 2 -outer_checkpoint $W/l.h5 -outer_checkpoint_overwrite > l4.log 2>&1 || { cat l4.log; fail "the lock of a killed run blocks a new run"; }
[ -e l.h5.lock ] && fail "the lock file is left after a run that ended"
# a lock held on behalf of a process that no longer exists (a file system that kept it)
if command -v python3 >/dev/null; then
  python3 -c "
import fcntl, os, socket, sys, time
fd = os.open('l.h5.lock', os.O_RDWR | os.O_CREAT, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.write(fd, ('pid 999999999 host %s\n' % socket.gethostname()).encode())
open('held', 'w').close()
time.sleep(60)" &
  hold=$!
  for i in $(seq 1 200); do [ -f held ] && break; sleep 0.05; done
  $MPI -n $NP $R $O -outer_max_it 2 -outer_checkpoint $W/l.h5 -outer_checkpoint_overwrite > l5.log 2>&1 && fail "a run on a file with a held lock was accepted"
  grep -q "the lock is stale.*remove $W/l.h5.lock to break" l5.log || { cat l5.log; fail "no stale-lock message"; }
  [ -e l.h5.lock ] || fail "a run refused for a stale lock removed the lock file"
  kill $hold; wait $hold 2>/dev/null
  echo "stale: $(grep -m1 -o 'but no such process[^.]*' l5.log)"
fi

# 3. a checkpoint path that is a directory: refused before any iteration
mkdir d
$MPI -n $NP $R $O -outer_max_it 3 -outer_monitor -outer_checkpoint d > d.log 2>&1 && fail "a checkpoint path that is a directory was accepted"
grep -q "is a directory" d.log || { cat d.log; fail "no message for a directory"; }
grep -q "HGOuter f" d.log && fail "the directory was refused only after iterations had run"
$MPI -n $NP $R $O -resume d > d2.log 2>&1 && fail "-resume of a directory was accepted"
grep -q "is a directory" d2.log || { cat d2.log; fail "no message for -resume of a directory"; }
[ -e d.lock ] && fail "a refused directory left d.lock behind"

# 4. other data, another step
$MPI -n $NP $R $O -outer_max_it 3 -outer_checkpoint g.h5 > g.log 2>&1 || fail "run for the fingerprint checks"
sum=$(md5sum g.h5)
$MPI -n $NP $R $O -lr_seed 7 -outer_max_it 5 -resume g.h5 > g1.log 2>&1 && fail "resume with other data (-lr_seed 7) accepted"
grep -q "written by another run.*-lr_seed: 7 in this run" g1.log || grep -q "written by another run.*-lr_seed.*7" g1.log || { cat g1.log; fail "no message naming -lr_seed"; }
[ -e g.h5.lock ] && fail "the refused resume with other data left g.h5.lock behind"
$MPI -n $NP $R $O -outer_step 0.1 -outer_max_it 5 -resume g.h5 > g2.log 2>&1 && fail "resume with another -outer_step accepted"
grep -q "outer_step: 0.05.* in the run file, 0.1" g2.log || { cat g2.log; fail "no message naming -outer_step"; }
[ -e g.h5.lock ] && fail "the refused resume with another -outer_step left g.h5.lock behind"
$MPI -n $NP $R $O -outer_max_it 3 -outer_checkpoint g.h5 > g0.log 2>&1 && fail "a new run onto an existing run file accepted"
grep -q "already exists and this is a new run" g0.log || { cat g0.log; fail "no message for a new run onto an existing run file"; }
[ -e g.h5.lock ] && fail "the refused new run onto an existing run file left g.h5.lock behind"
[ "$(md5sum g.h5)" = "$sum" ] || fail "a refused resume modified the run file"
$MPI -n $NP $R $O -outer_step 0.1 -outer_max_it 5 -resume g.h5 -outer_resume_force > g3.log 2>&1 || { cat g3.log; fail "-outer_resume_force did not resume"; }
grep -q "Warning: resuming.*outer_step" g3.log || { cat g3.log; fail "-outer_resume_force: no warning"; }
[ "$(attr g.h5 iteration)" = 5 ] || fail "-outer_resume_force: the run did not continue"
echo "other data: $(grep -m1 -o 'an option that defines the trajectory differs ([^)]*)' g1.log)"

# 5. a data file changed under the same name (krr reads it; its fingerprint is the data's hash,
#    the same on any number of ranks): refused; the original file resumes on another rank count
cp "$(dirname "$0")/../data/good.csv" k.csv
K="-problem krr -data_train $W/k.csv -data_val $W/k.csv -data_csv_skip_columns id -data_csv_label_column label -lower_max_it 50 -outer_step 0.01"
$MPI -n $NP $R $K -outer_max_it 2 -outer_checkpoint k.h5 > k.log 2>&1 || { cat k.log; fail "krr run on a data file"; }
attr k.h5 fingerprint_data | grep -q "^data [0-9a-f]\{16\}" || fail "krr's run file holds no data fingerprint: $(attr k.h5 fingerprint_data)"
sed -i '2s/-1.375/-1.376/' k.csv
$MPI -n $NP $R $K -outer_max_it 4 -resume k.h5 > k1.log 2>&1 && fail "resume with a changed data file accepted"
grep -q "written by another run: the data differ" k1.log || { cat k1.log; fail "no message for a changed data file"; }
[ -e k.h5.lock ] && fail "the refused resume with a changed data file left k.h5.lock behind"
cp "$(dirname "$0")/../data/good.csv" k.csv
N2=$((NP == 1 ? 2 : 1))
$MPI -n $N2 $R $K -outer_max_it 4 -resume k.h5 > k2.log 2>&1 || { cat k2.log; fail "the original data file does not resume on $N2 ranks"; }
echo "changed data file: $(grep -m1 -o 'the data differ' k1.log)"
exit 0
