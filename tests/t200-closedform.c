static const char help[] = "t200: every method against the closed-form / direct-solve hypergradient of a problem.\n"
                           "  -problem <quadratic|biasreg|krr>  -t_final <800>  -itd_equals_fp (lower level quadratic with w-independent mixed term)\n"
                           "  -converged_only: only the t = k = t_final accuracy of each method (for data sets where the early\n"
                           "  errors need not fall monotonically, e.g. krr with shifted features)\n"
                           "  -lambda_value <c>: every hyperparameter set to c instead of the problem's initial lambda\n";
#include "hgtest.h"

typedef struct {
  const char *name, *hgtype, *ksptype;
} Method;

static const Method methods[] = {
  {"AID-CG", HGAID, KSPCG},
  {"AID-FP", HGAID, KSPRICHARDSON},
  {"ITD", HGITD, NULL},
  {"IAD", HGIAD, NULL},
};
#define NMETHODS 4

static PetscErrorCode RelError(HGProblem prob, const Method *m, const char *lower, PetscInt t, PetscInt k, Vec lambda, Vec exact, Vec h, PetscReal *err)
{
  HG hg;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, m->hgtype, lower, m->ksptype, t, k, &hg));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGTestRelDiff(h, exact, err));
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem prob;
  Vec       lambda, lam0, exact, h, h2;
  char      type[64] = HGPROBLEMQUADRATIC;
  PetscInt  tfinal   = 800, ts[] = {10, 20, 40, 80};
  PetscBool itdfp = PETSC_FALSE, verbose = PETSC_FALSE, convonly = PETSC_FALSE, lset = PETSC_FALSE;
  PetscReal lvalue = 0;
  PetscReal err, prev, rel, mean[NMETHODS] = {0};
  const PetscReal floor = 1e-12;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t_final", &tfinal, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-itd_equals_fp", &itdfp, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-converged_only", &convonly, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lambda_value", &lvalue, &lset));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &lam0));
  PetscCall(VecDuplicate(lambda, &exact));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &h2));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  if (lset) PetscCall(VecSet(lambda, lvalue));
  PetscCall(VecCopy(lambda, lam0));
  PetscCall(HGProblemComputeExactHypergradient(prob, lambda, exact, NULL));

  /* 1. the error of each method falls linearly in t (k = t) and reaches 1e-10 */
  for (PetscInt m = 0; m < NMETHODS; m++) {
    prev = PETSC_MAX_REAL;
    for (size_t i = 0; !convonly && i < sizeof(ts) / sizeof(ts[0]); i++) {
      PetscCall(RelError(prob, &methods[m], HGLOWERGD, ts[i], PETSC_DEFAULT, lambda, exact, h, &err));
      if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s %-7s t=k=%4" PetscInt_FMT " rel error %.3e\n", type, methods[m].name, ts[i], (double)err));
      HGTEST_CHECK(err < prev || err < floor, "%s on %s: error did not fall from t=%" PetscInt_FMT " to %" PetscInt_FMT " (%g -> %g)", methods[m].name, type, ts[i] / 2, ts[i], (double)prev, (double)err);
      prev = err;
    }
    PetscCall(RelError(prob, &methods[m], HGLOWERGD, tfinal, PETSC_DEFAULT, lambda, exact, h, &err));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s %-7s t=k=%4" PetscInt_FMT " rel error %.3e\n", type, methods[m].name, tfinal, (double)err));
    HGTEST_CHECK(err <= 1e-10, "%s on %s with gd, t = k = %" PetscInt_FMT ": relative error %g > 1e-10", methods[m].name, type, tfinal, (double)err);
    /* heavy ball lower level (ITD differentiates it; AID only uses its last iterate) */
    PetscCall(RelError(prob, &methods[m], HGLOWERHEAVYBALL, tfinal / 2, PETSC_DEFAULT, lambda, exact, h, &err));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s %-7s heavy ball t=k=%4" PetscInt_FMT " rel error %.3e\n", type, methods[m].name, tfinal / 2, (double)err));
    HGTEST_CHECK(err <= 1e-10, "%s on %s with heavy ball, t = k = %" PetscInt_FMT ": relative error %g > 1e-10", methods[m].name, type, tfinal / 2, (double)err);
  }
  if (convonly) goto finish;
  /* the error also falls in k at fixed large t (AID-CG, AID-FP, ITD truncated) */
  for (PetscInt m = 0; m < 3; m++) {
    prev = PETSC_MAX_REAL;
    for (PetscInt k = 5; k <= 40; k *= 2) {
      PetscCall(RelError(prob, &methods[m], HGLOWERGD, tfinal, k, lambda, exact, h, &err));
      HGTEST_CHECK(err < prev || err < floor, "%s on %s: error did not fall in k (k=%" PetscInt_FMT ": %g -> %g)", methods[m].name, type, k, (double)prev, (double)err);
      prev = err;
    }
  }

  /* AID does not care how w was found: a TAO solve to a tolerance */
  {
    HG      hg;
    HGLower lower;
    Tao     tao;
    PetscCall(HGTestMethod(prob, HGAID, HGLOWERTAO, KSPCG, 10000, 200, &hg));
    PetscCall(HGGetLower(hg, &lower));
    PetscCall(HGLowerSetTolerances(lower, 0.0, 1e-12, 1e8));
    /* Newton with line search (Hessian products through the problem): on these quadratic lower
       levels its step is exact up to the inner KSP, so the gradient reaches 1e-12; a
       quasi-Newton line search stalls near 1e-8, where the decrease of f is below its rounding */
    PetscCall(HGLowerGetTao(lower, &tao));
    PetscCall(TaoSetType(tao, TAONLS));
    PetscCall(HGTestCompute(hg, lambda, h));
    PetscCall(HGTestRelDiff(h, exact, &err));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s AID-CG after TAO nls to ||grad|| <= 1e-12: rel error %.3e\n", type, (double)err));
    HGTEST_CHECK(err <= 1e-9, "AID-CG after a TAO lower solve on %s: relative error %g", type, (double)err);
    PetscCall(HGDestroy(&hg));
  }

  /* 2. identities: inexact AD = KSP richardson with the same step; ITD = AID-FP on quadratics */
  for (PetscInt t = 5; t <= 60; t *= 3) {
    PetscCall(RelError(prob, &methods[3], HGLOWERGD, t, PETSC_DEFAULT, lambda, exact, h, &err));
    PetscCall(RelError(prob, &methods[1], HGLOWERGD, t, PETSC_DEFAULT, lambda, exact, h2, &err));
    PetscCall(HGTestRelDiff(h, h2, &rel));
    HGTEST_CHECK(rel <= 1e-12, "%s, t = k = %" PetscInt_FMT ": inexact AD and KSP richardson differ by %g (relative)", type, t, (double)rel);
    if (itdfp) {
      PetscCall(RelError(prob, &methods[2], HGLOWERGD, t, PETSC_DEFAULT, lambda, exact, h, &err));
      PetscCall(HGTestRelDiff(h, h2, &rel));
      HGTEST_CHECK(rel <= 1e-12, "%s, t = k = %" PetscInt_FMT ": ITD and AID-FP differ by %g (relative)", type, t, (double)rel);
    }
  }

  /* 3. Figure 1 ordering at t = k, averaged over 10 values of lambda: CG <= FP <= ITD */
  for (PetscInt s = 0; s < 10; s++) {
    PetscRandom rnd;
    PetscCall(PetscRandomCreate(PETSC_COMM_WORLD, &rnd));
    PetscCall(PetscRandomSetInterval(rnd, 0.5, 1.5));
    PetscCall(PetscRandomSetSeed(rnd, 100 + s));
    PetscCall(PetscRandomSeed(rnd));
    PetscCall(VecSetRandom(lambda, rnd));
    PetscCall(VecPointwiseMult(lambda, lambda, lam0));
    PetscCall(PetscRandomDestroy(&rnd));
    PetscCall(HGProblemComputeExactHypergradient(prob, lambda, exact, NULL));
    for (PetscInt m = 0; m < 3; m++) {
      PetscCall(RelError(prob, &methods[m], HGLOWERGD, 30, PETSC_DEFAULT, lambda, exact, h, &err));
      mean[m] += err / 10;
    }
  }
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s mean over 10 lambda at t=k=30: CG %.3e FP %.3e ITD %.3e\n", type, (double)mean[0], (double)mean[1], (double)mean[2]));
  HGTEST_CHECK(mean[0] <= mean[1], "%s: mean CG error %g above mean FP error %g", type, (double)mean[0], (double)mean[1]);
  HGTEST_CHECK(mean[1] <= mean[2] * (1 + 1e-8), "%s: mean FP error %g above mean ITD error %g", type, (double)mean[1], (double)mean[2]);

finish:
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&lam0));
  PetscCall(VecDestroy(&exact));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&h2));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
