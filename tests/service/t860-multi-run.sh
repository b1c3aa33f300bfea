#!/usr/bin/env bash
# hgrun on a problem of n instances (-problem multi -hg_type multi) with mini-batches: resume
# bitwise at equal ranks, 1e-10 onto other ranks and sub-communicator counts (the mini-batch
# draws continue), and the /w layout read by h5py (bad input: t862-multi-bad-input.sh).
# usage: t860-multi-run.sh HGRUN NP_A NP_B
set -u
R=$1; NA=${2:-2}; NB=${3:-1}
MPI="mpiexec --oversubscribe"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
for t in h5diff h5dump; do command -v $t >/dev/null || fail "$t not found: install hdf5-tools"; done
attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }
N=5; P=15
O="-problem multi -hg_type multi -multi_n $N -sub_problem logreg -sub_lr_p $P -sub_lr_ntrain 80 -sub_lr_nval 5 -sub_lower_max_it 30 -sub_hg_k 10 -hg_multi_batch 2 -hg_multi_batch_seed 3 -outer_type gd -outer_step 0.02"

# 1. reference run, uninterrupted
$MPI -n $NA $R $O -outer_max_it 8 -outer_checkpoint ref.h5 > ref.log 2>&1 || { cat ref.log; fail "reference run"; }
[ "$(attr ref.h5 iteration)" = 8 ] || fail "reference checkpoint iteration"

# 2. stop at 3, resume to 8 on the same ranks: bitwise identical lambda, w_i, v_i, history
$MPI -n $NA $R $O -outer_max_it 3 -outer_checkpoint b.h5 > b1.log 2>&1 || { cat b1.log; fail "run to 3"; }
$MPI -n $NA $R $O -outer_max_it 8 -resume b.h5 > b2.log 2>&1 || { cat b2.log; fail "resume"; }
for d in /lambda /w /v /history/upper_objective /history/hypergradient_norm; do
  h5diff ref.h5 b.h5 $d $d > /dev/null || fail "resume on $NA ranks: $d differs from the uninterrupted run"
done

# 3. stop at 3 on NB ranks with one sub-communicator, resume on NA ranks: 1e-10 relative
$MPI -n $NB $R $O -multi_nsubcomm 1 -outer_max_it 3 -outer_checkpoint c.h5 > c1.log 2>&1 || { cat c1.log; fail "run to 3 on $NB ranks"; }
$MPI -n $NA $R $O -outer_max_it 8 -resume c.h5 > c2.log 2>&1 || { cat c2.log; fail "resume across ranks"; }
h5diff -p 1e-10 ref.h5 c.h5 /lambda /lambda > /dev/null || fail "resume from $NB to $NA ranks: lambda differs by more than 1e-10 relative"
h5diff -p 1e-8 ref.h5 c.h5 /w /w > /dev/null || fail "resume from $NB to $NA ranks: w differs"

# 4. the layout of /w: n blocks of p (instance order), the instances never drawn still 0
if python3 -c "import h5py" 2>/dev/null; then
  python3 - ref.h5 $N $P <<'PY' || fail "h5py: /w layout"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); n = int(sys.argv[2]); p = int(sys.argv[3])
w = np.asarray(f["/w"]).ravel(); v = np.asarray(f["/v"]).ravel()
assert w.shape == (n * p,) and v.shape == (n * p,), (w.shape, v.shape)
blocks = w.reshape(n, p)
assert any(np.linalg.norm(b) > 0 for b in blocks)
PY
else
  echo "t860: python3-h5py absent: /w layout checked with h5dump only"
  h5dump -H -d /w ref.h5 | grep -q "( $((N * P)) )" || { h5dump -H -d /w ref.h5; fail "/w is not one dataset of n*p = $((N * P)) entries"; }
fi

echo "t860: all checks passed"
