#!/usr/bin/env bash
# hgrun on denoising instances (one per training image) with mini-batches of images, gd and
# nesterov: a run stopped and resumed is bitwise the uninterrupted one (lambda, every w_i and v_i,
# the history; on 3 ranks 4 instances make sub-communicators that draw no instance: this run hung
# in the checkpoint's VecNorm before the stacked w, v got a new state on every rank).
# usage: t173-denoise-batch-run.sh HGRUN NP
. "$(dirname "${BASH_SOURCE[0]}")/prologue.sh"
command -v h5diff >/dev/null || fail "h5diff not found: install hdf5-tools"
O="-problem multi -hg_type multi -multi_n 4 -sub_problem denoise -sub_denoise_synthetic_n 4 -sub_hg_type aid -sub_hg_ksp_type cg -sub_lower_max_it 40 -sub_hg_k 20 -hg_multi_batch 2 -hg_multi_batch_seed 5 -outer_step 5"
for ot in gd nesterov; do
  $MPI $R $O -outer_type $ot -outer_max_it 6 -outer_checkpoint ref_$ot.h5 > ref_$ot.log 2>&1 || { cat ref_$ot.log; fail "$ot: reference run"; }
  $MPI $R $O -outer_type $ot -outer_max_it 3 -outer_checkpoint b_$ot.h5 > b1_$ot.log 2>&1 || { cat b1_$ot.log; fail "$ot: run to 3"; }
  $MPI $R $O -outer_type $ot -outer_max_it 6 -resume b_$ot.h5 > b2_$ot.log 2>&1 || { cat b2_$ot.log; fail "$ot: resume"; }
  for d in /lambda /w /v /history/upper_objective /history/hypergradient_norm; do
    h5diff ref_$ot.h5 b_$ot.h5 $d $d > /dev/null || fail "$ot, mini-batches of images on $NP ranks: $d of the resumed run differs from the uninterrupted run"
  done
  /usr/bin/python3 - ref_$ot.h5 <<'PY' || fail "$ot: no finite history of 6 iterations, or lambda did not move"
import sys, h5py, numpy as np
h = h5py.File(sys.argv[1], "r")
f = np.asarray(h["/history/upper_objective"]).ravel(); lam = np.asarray(h["/lambda"]).ravel()
assert len(f) == 6 and np.all(np.isfinite(f)) and np.all(np.isfinite(lam)), (f, lam)
assert np.abs(lam - (-5.0)).max() > 1e-3, lam
PY
done
echo "t173: gd and nesterov on mini-batches of images resume bitwise on $NP ranks"
