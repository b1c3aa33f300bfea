# Certified hypergradients (issue 6): error bounds and ITD in bounded memory
foreach(p quadratic biasreg krr)
  hg_add_test(NAME t700-bounds SOURCE t700-bounds.c SUFFIX _${p} NPROCS 1 ARGS -problem ${p} LABELS bounds)
endforeach()
hg_add_test(NAME t700-bounds SOURCE t700-bounds.c SUFFIX _quadratic NPROCS 3 ARGS -problem quadratic LABELS bounds)
hg_add_test(NAME t710-checkpoint SOURCE t710-checkpoint.c SUFFIX _quadratic NPROCS 1 3 ARGS -problem quadratic LABELS checkpoint)
hg_add_test(NAME t710-checkpoint SOURCE t710-checkpoint.c SUFFIX _logreg NPROCS 1 3 ARGS -problem logreg -lr_p 40 -lr_ntrain 100 -lr_nval 50 LABELS checkpoint)
hg_add_test(NAME t710-checkpoint SOURCE t710-checkpoint.c SUFFIX _eqm NPROCS 1 3 ARGS -problem eqm -eqm_n 30 -eqm_h 20 -lower_momentum 0.1 LABELS checkpoint)
# t705: one HG reused while lambda moves (a shell ridge problem whose constants grow with exp(lambda)):
# the a-posteriori bound >= the error against a direct solve at every point
hg_add_test(NAME t705-bounds-lambda SOURCE t705-bounds-lambda.c SUFFIX _estimated NPROCS 1 2 ARGS -constants estimated LABELS bounds)
hg_add_test(NAME t705-bounds-lambda SOURCE t705-bounds-lambda.c SUFFIX _function NPROCS 1 3 ARGS -constants function LABELS bounds)
target_link_libraries(t705-bounds-lambda PRIVATE ${LAPACK_LIBRARIES})
# t706: logreg's closed-form L_A against Hessian products (random pairs; a dominant-row file, dense
# and sparse, where it must be within 1.5x), and its bound (no constant estimated) against a converged reference
hg_add_test(NAME t706-logreg-lipschitz SOURCE t706-logreg-lipschitz.c SUFFIX _dense NPROCS 1 2 3 ARGS -lr_p 30 -lr_ntrain 120 -lr_nval 80 LABELS bounds)
hg_add_test(NAME t706-logreg-lipschitz SOURCE t706-logreg-lipschitz.c SUFFIX _sparse NPROCS 1 3 ARGS -lr_p 40 -lr_ntrain 150 -lr_nval 80 -lr_sparse -lr_nnz_per_row 6 LABELS bounds)
# t708: HGMatNormSquaredBound against the closed form on diagonal X of five spectra, 40 seeds each
hg_add_test(NAME t708-norm-bound SOURCE t708-norm-bound.c NPROCS 1 2 3 LABELS bounds)
# t707: the AVX-512 kernel of the CSR row products against the plain loop (1e-14 relative; skips without AVX-512)
hg_add_test(NAME t707-csr-simd SOURCE t707-csr-simd.c SUFFIX _sparse NPROCS 1 3 ARGS -lr_sparse -lr_p 300 -lr_ntrain 400 -lr_nval 50 -lr_nnz_per_row 13 LABELS bounds)
