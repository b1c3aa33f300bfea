# The TAO lower level (issue 15): on every optimization-form catalogue problem, TAO (lmvm and nls)
# against the default lower solver gd to the same -lower_rtol, and TAO with its own defaults
foreach(v quadratic biasreg krr logreg hyperrep mlogreg hyperclean distill)
  hg_add_test(NAME t220-lowertao SOURCE t220-lowertao.c SUFFIX _${v} NPROCS 1 3 ARGS -problem ${v} ${HG_PROB_ARGS_${v}} LABELS lower problems)
endforeach()
# The checking tools (issue 15): HGProblemTestDerivatives verdict and skipped checks, HGTestHypergradient relative to ||h||
hg_add_test(NAME t105-testtools SOURCE t105-testtools.c NPROCS 1 3 LABELS derivatives)
