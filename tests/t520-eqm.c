static const char help[] = "t520: the eqm problem (equilibrium model, Grazzi et al. 3.2):\n"
                           "  the projection gives ||A||_2 = 1 - eps (power iteration), is the identity on feasible A and closer than scaling;\n"
                           "  the contraction constant is ||A||_2; every hypergradient method against finite differences of f;\n"
                           "  projected hypergradient descent lowers f and lifts the held-out accuracy above chance.\n";
#include "hgtest.h"

/* ||A||_2 by power iteration on A^T A (independent of the LAPACK SVD of the projection) */
static PetscReal PowerNorm(PetscInt h, const PetscScalar *A)
{
  PetscReal *x, *y, nrm = 0;

  PetscMalloc2(h, &x, h, &y);
  for (PetscInt i = 0; i < h; i++) x[i] = 1.0 + 0.01 * i;
  for (PetscInt it = 0; it < 5000; it++) {
    PetscReal s = 0, prev = nrm;
    for (PetscInt i = 0; i < h; i++) {
      y[i] = 0;
      for (PetscInt j = 0; j < h; j++) y[i] += PetscRealPart(A[i + j * h]) * x[j];
    }
    for (PetscInt j = 0; j < h; j++) {
      x[j] = 0;
      for (PetscInt i = 0; i < h; i++) x[j] += PetscRealPart(A[i + j * h]) * y[i];
    }
    for (PetscInt j = 0; j < h; j++) s += x[j] * x[j];
    s = PetscSqrtReal(s);
    for (PetscInt j = 0; j < h; j++) x[j] /= s;
    nrm = PetscSqrtReal(s); /* ||A^T A x_old|| -> sigma_max^2 */
    if (it > 10 && PetscAbsReal(nrm - prev) <= 1e-15 * nrm) break;
  }
  PetscFree2(x, y);
  return nrm;
}

/* Projected gradient descent on a second, larger instance (options prefix acc_): f falls and the
   held-out accuracy (public accuracy callback) rises from chance to well above it */
static PetscErrorCode Training(PetscBool verbose)
{
  HGProblem prob;
  HG        hg;
  Vec       lambda, h, wt;
  PetscReal f0 = 0, f = 0, val0, test0, val, test, step = 0.02;
  HGInfo    info;
  PetscInt  C = 3, nsteps = 40;
  const char *opts[][2] = {{"-acc_eqm_h", "20"}, {"-acc_eqm_n", "150"}, {"-acc_eqm_p", "8"}, {"-acc_eqm_classes", "3"}, {"-acc_eqm_nval", "100"}, {"-acc_eqm_ntest", "300"}, {"-acc_eqm_separation", "1"}, {"-acc_eqm_seed", "3"}};

  PetscFunctionBegin;
  for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) PetscCall(PetscOptionsSetValue(NULL, opts[i][0], opts[i][1]));
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetOptionsPrefix(prob, "acc_"));
  PetscCall(HGProblemSetType(prob, HGPROBLEMEQM));
  PetscCall(HGProblemSetFromOptions(prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPGMRES, 30, PETSC_DEFAULT, &hg));
  PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* the error bounds are not under test here */
  for (PetscInt it = 0; it <= nsteps; it++) {
    PetscCall(HGTestCompute(hg, lambda, h));
    PetscCall(HGGetInfo(hg, &info));
    f = info.upper_objective;
    if (it == 0) {
      f0 = f;
      PetscCall(HGGetLowerSolution(hg, &wt));
      PetscCall(HGProblemComputeAccuracy(prob, wt, lambda, &val0, &test0));
    }
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  training step %2" PetscInt_FMT ": f = %g\n", it, (double)f));
    if (it == nsteps) break;
    PetscCall(VecAXPY(lambda, -step, h));
    PetscCall(HGProblemProject(prob, lambda));
  }
  PetscCall(HGGetLowerSolution(hg, &wt));
  PetscCall(HGProblemComputeAccuracy(prob, wt, lambda, &val, &test));
  if (verbose) PetscCall(HGProblemView(prob, PETSC_VIEWER_STDOUT_WORLD));
  else {
    PetscViewer quiet;
    PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &quiet));
    PetscCall(HGProblemView(prob, quiet));
    PetscCall(PetscViewerDestroy(&quiet));
  }
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  f %g -> %g, validation accuracy %g -> %g, test accuracy %g -> %g\n", (double)f0, (double)f, (double)val0, (double)val, (double)test0, (double)test));
  HGTEST_CHECK(f < 0.5 * f0, "40 projected hypergradient steps reduced f from %g only to %g", (double)f0, (double)f);
  HGTEST_CHECK(val0 >= 0 && val0 <= 1 && test0 >= 0 && test0 <= 1, "accuracies outside [0,1]: %g %g", (double)val0, (double)test0);
  HGTEST_CHECK(val > 1.5 / C && test > 1.5 / C && test > test0, "after training the held-out accuracies (validation %g, test %g; before %g, %g) are not well above chance 1/%" PetscInt_FMT, (double)val, (double)test, (double)val0, (double)test0, C);
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGDestroy(&hg));
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

/* An eps outside (0,1) is refused with PETSC_ERR_ARG_OUTOFRANGE */
static PetscErrorCode BadEps(void)
{
  HGProblem      prob;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-bad_eqm_eps", "1.5"));
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &prob));
  PetscCall(HGProblemSetOptionsPrefix(prob, "bad_"));
  PetscCall(HGProblemSetType(prob, HGPROBLEMEQM));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = HGProblemSetFromOptions(prob);
  PetscCall(PetscPopErrorHandler());
  HGTEST_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "-eqm_eps 1.5 gave error %d, expected PETSC_ERR_ARG_OUTOFRANGE", (int)ierr);
  PetscCall(HGProblemDestroy(&prob));
  PetscFunctionReturn(0);
}

static PetscReal FroDiff(PetscInt n, const PetscScalar *a, const PetscScalar *b, PetscReal sb)
{
  PetscReal s = 0;
  for (PetscInt k = 0; k < n; k++) s += PetscSqr(PetscRealPart(a[k] - sb * b[k]));
  return PetscSqrtReal(s);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  Vec         l0, l1, lsave, h, d;
  PetscInt    hdim = 10, nl;
  PetscReal   eps = 0.05, q, n0, n1, err;
  PetscScalar *A0, *A1, *Ap;
  PetscViewer quiet;
  PetscBool   verbose = PETSC_FALSE;
  struct {
    const char *hg, *ksp;
  } cases[] = {
    {HGAID, KSPGMRES}, {HGAID, KSPCGNE}, {HGAID, KSPLSQR}, {HGAID, KSPRICHARDSON}, {HGITD, NULL}, {HGIAD, NULL},
  };

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-eqm_h", &hdim, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-eqm_eps", &eps, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMEQM, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &l0));
  PetscCall(VecDuplicate(l0, &l1));
  PetscCall(VecDuplicate(l0, &lsave));
  PetscCall(VecDuplicate(l0, &h));
  PetscCall(VecDuplicate(l0, &d));
  PetscCall(VecGetSize(l0, &nl));
  PetscCall(HGProblemGetInitialHyperparameters(prob, l0));

  /* the contraction constant at the initial lambda is ||A||_2 */
  PetscCall(HGVecGatherAll(l0, &A0)); /* A: the first hdim x hdim entries, column major */
  n0 = PowerNorm(hdim, A0);
  PetscCall(HGProblemGetMapContraction(prob, &q));
  HGTEST_CHECK(n0 < 1 - eps && PetscAbsReal(q - n0) <= 1e-9 * n0, "contraction constant %g differs from ||A||_2 = %g (power iteration) at the initial lambda", (double)q, (double)n0);

  /* a feasible A is left as it is */
  PetscCall(VecCopy(l0, lsave));
  PetscCall(HGProblemProject(prob, l0));
  PetscCall(HGTestRelDiff(l0, lsave, &err));
  HGTEST_CHECK(err == 0, "the projection changed a feasible lambda (||A||_2 = %g < 1 - eps) by %g", (double)n0, (double)err);

  /* A scaled by 8: the projection brings ||A||_2 to exactly 1 - eps, leaves B, c, W, b alone and
     is closer to A than the feasible rescaling (1 - eps) A / ||A||_2 */
  {
    PetscInt     lo, hi;
    PetscScalar *l;
    PetscCall(VecCopy(l0, l1));
    PetscCall(VecGetOwnershipRange(l1, &lo, &hi));
    PetscCall(VecGetArray(l1, &l));
    for (PetscInt g = lo; g < PetscMin(hi, hdim * hdim); g++) l[g - lo] *= 8.0;
    PetscCall(VecRestoreArray(l1, &l));
  }
  PetscCall(HGVecGatherAll(l1, &A1)); /* A: the first hdim x hdim entries, column major */
  n1 = PowerNorm(hdim, A1);
  HGTEST_CHECK(n1 > 1, "test set-up: the scaled A should have norm > 1, has %g", (double)n1);
  PetscCall(VecCopy(l1, lsave));
  PetscCall(HGProblemProject(prob, l1));
  PetscCall(HGVecGatherAll(l1, &Ap)); /* A: the first hdim x hdim entries, column major */
  err = PowerNorm(hdim, Ap);
  HGTEST_CHECK(PetscAbsReal(err - (1 - eps)) <= 1e-9, "projected ||A||_2 = %g (power iteration), expected 1 - eps = %g", (double)err, (double)(1 - eps));
  PetscCall(HGProblemGetMapContraction(prob, &q));
  HGTEST_CHECK(PetscAbsReal(q - (1 - eps)) <= 1e-12, "after projection the contraction constant is %g, expected %g", (double)q, (double)(1 - eps));
  HGTEST_CHECK(FroDiff(hdim * hdim, A1, Ap, 1.0) <= FroDiff(hdim * hdim, A1, A1, (1 - eps) / n1) + 1e-12, "the projection is farther from A (%g) than the rescaled A (%g)", (double)FroDiff(hdim * hdim, A1, Ap, 1.0), (double)FroDiff(hdim * hdim, A1, A1, (1 - eps) / n1));
  {
    PetscInt           lo, hi;
    const PetscScalar *a, *b;
    PetscReal          maxd = 0;
    PetscCall(VecGetOwnershipRange(l1, &lo, &hi));
    PetscCall(VecGetArrayRead(l1, &a));
    PetscCall(VecGetArrayRead(lsave, &b));
    for (PetscInt g = PetscMax(lo, hdim * hdim); g < hi; g++) maxd = PetscMax(maxd, PetscAbsReal(PetscRealPart(a[g - lo] - b[g - lo])));
    PetscCall(VecRestoreArrayRead(l1, &a));
    PetscCall(VecRestoreArrayRead(lsave, &b));
    HGTEST_CHECK(maxd == 0, "the projection changed entries outside A (by %g)", (double)maxd);
  }

  /* every method against finite differences of f, at the initial lambda and at the projected
     one (||A||_2 = 1 - eps: the slowest contraction allowed) */
  PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &quiet));
  for (PetscInt which = 0; which < 2; which++) {
    Vec      lam = which ? l1 : l0;
    PetscInt t   = which ? 700 : 80;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
      HG hg;
      PetscCall(HGTestMethod(prob, cases[c].hg, HGLOWERGD, cases[c].ksp, t, PETSC_DEFAULT, &hg));
      PetscCall(HGSetComputeBounds(hg, PETSC_FALSE)); /* the error bounds are not under test here */
      PetscCall(HGTestCompute(hg, lam, h));
      PetscCall(HGTestHypergradient(hg, lam, h, 4, 1e-6, quiet, &err));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %s lambda, t = k = %" PetscInt_FMT ": %s%s%s against finite differences of f: %.2e\n", which ? "projected" : "initial", t, cases[c].hg, cases[c].ksp ? "/" : "", cases[c].ksp ? cases[c].ksp : "", (double)err));
      HGTEST_CHECK(err < 1e-6, "eqm at %s lambda: %s%s%s differs from finite differences of f by %g (relative)", which ? "the projected" : "the initial", cases[c].hg, cases[c].ksp ? "/" : "", cases[c].ksp ? cases[c].ksp : "", (double)err);
      PetscCall(HGDestroy(&hg));
    }
  }
  PetscCall(PetscViewerDestroy(&quiet));
  PetscCall(Training(verbose));
  PetscCall(BadEps());
  PetscCall(PetscFree(A0));
  PetscCall(PetscFree(A1));
  PetscCall(PetscFree(Ap));
  PetscCall(VecDestroy(&l0));
  PetscCall(VecDestroy(&l1));
  PetscCall(VecDestroy(&lsave));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&d));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
