static const char help[] = "HGOuter against an independent outer loop on the exact hypergradient; warm starts; tao.\n";
/* The quadratic problem has a closed-form hypergradient (HGProblemComputeExactHypergradient,
   a dense Cholesky solve).  gd and nesterov driven by HGOuter with an accurate AID-CG must
   follow the trajectory of the same update written out here on the exact hypergradient. */
#include "hgtest.h"

static PetscErrorCode Reference(HGProblem prob, PetscBool nesterov, PetscReal eta, PetscInt n, Vec lambda)
{
  Vec       prev, y, g;
  PetscReal f;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(lambda, &prev));
  PetscCall(VecDuplicate(lambda, &y));
  PetscCall(VecDuplicate(lambda, &g));
  for (PetscInt k = 0; k < n; k++) {
    PetscCall(VecCopy(lambda, y));
    if (nesterov && k > 0) {
      PetscReal beta = (PetscReal)k / (k + 3);
      PetscCall(VecAXPBYPCZ(y, -beta, beta, 1.0, prev, lambda)); /* y = lambda + beta (lambda - prev) */
      PetscCall(HGProblemProject(prob, y));
    }
    PetscCall(HGProblemComputeExactHypergradient(prob, y, g, &f));
    PetscCall(VecCopy(lambda, prev));
    PetscCall(VecWAXPY(lambda, -eta, g, y));
    PetscCall(HGProblemProject(prob, lambda));
  }
  PetscCall(VecDestroy(&prev));
  PetscCall(VecDestroy(&y));
  PetscCall(VecDestroy(&g));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunOuter(HGProblem prob, HGOuterType type, PetscReal eta, PetscInt n, PetscBool warm, PetscReal lower_atol, Vec lambda, PetscInt *tl, PetscInt *ta)
{
  HG                     hg;
  HGOuter                outer;
  HGOuterConvergedReason reason;
  char                   tol[32];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(tol, sizeof(tol), "%g", (double)(lower_atol > 0 ? lower_atol : 1e-13)));
  PetscCall(PetscOptionsSetValue(NULL, "-lower_atol", tol));
  PetscCall(PetscOptionsSetValue(NULL, "-hg_adjoint_atol", tol));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERHEAVYBALL, KSPCG, 5000, 2000, &hg));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(HGOuterCreate(PETSC_COMM_WORLD, &outer));
  PetscCall(HGOuterSetHG(outer, hg));
  PetscCall(HGOuterSetType(outer, type));
  PetscCall(HGOuterSetStepSize(outer, eta));
  PetscCall(HGOuterSetMaxIterations(outer, n));
  PetscCall(HGOuterSetWarmStart(outer, warm));
  PetscCall(HGOuterSolve(outer, lambda));
  PetscCall(HGOuterGetConvergedReason(outer, &reason));
  HGTEST_CHECK(reason > 0, "HGOuter %s stopped with %s", type, HGOuterConvergedReasons[reason]);
  PetscCall(HGOuterGetTotalIterations(outer, tl, ta));
  PetscCall(HGOuterDestroy(&outer));
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem prob;
  Vec       l0, a, b;
  PetscReal rel, eta = 0.01, f0, f1;
  PetscInt  n = 15, tl[2], ta[2];
  const char *types[2] = {HGOUTERGD, HGOUTERNESTEROV};

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMQUADRATIC, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &l0));
  PetscCall(HGProblemGetInitialHyperparameters(prob, l0));
  PetscCall(VecDuplicate(l0, &a));
  PetscCall(VecDuplicate(l0, &b));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-eta", &eta, NULL));
  for (PetscInt i = 0; i < 2; i++) {
    PetscCall(VecCopy(l0, a));
    PetscCall(Reference(prob, i == 1, eta, n, a));
    PetscCall(VecCopy(l0, b));
    PetscCall(RunOuter(prob, types[i], eta, n, PETSC_TRUE, 0, b, &tl[0], &ta[0]));
    PetscCall(HGTestRelDiff(b, a, &rel));
    HGTEST_CHECK(rel < 1e-9, "HGOuter %s after %" PetscInt_FMT " steps differs from the exact-hypergradient reference by %g", types[i], n, (double)rel);
    PetscCall(VecCopy(l0, a));
    PetscCall(Reference(prob, i == 1, eta, 1, a));
    PetscCall(HGTestRelDiff(b, a, &rel));
    HGTEST_CHECK(rel > 1e-3, "the reference check cannot fail: %" PetscInt_FMT " steps and 1 step agree", n);
  }
  /* warm starts: same trajectory to the tolerance, fewer lower and adjoint iterations */
  PetscCall(VecCopy(l0, a));
  PetscCall(RunOuter(prob, HGOUTERGD, eta, n, PETSC_FALSE, 1e-8, a, &tl[0], &ta[0]));
  PetscCall(VecCopy(l0, b));
  PetscCall(RunOuter(prob, HGOUTERGD, eta, n, PETSC_TRUE, 1e-8, b, &tl[1], &ta[1]));
  PetscCall(HGTestRelDiff(b, a, &rel));
  HGTEST_CHECK(rel < 1e-6, "warm and cold starts end %g apart", (double)rel);
  HGTEST_CHECK(tl[1] < tl[0] && ta[1] < ta[0], "warm starts did not save iterations: lower %" PetscInt_FMT " vs %" PetscInt_FMT ", adjoint %" PetscInt_FMT " vs %" PetscInt_FMT, tl[1], tl[0], ta[1], ta[0]);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "warm starts: lower %" PetscInt_FMT " -> %" PetscInt_FMT ", adjoint %" PetscInt_FMT " -> %" PetscInt_FMT " iterations over %" PetscInt_FMT " outer steps\n", tl[0], tl[1], ta[0], ta[1], n));
  /* tao (bounded L-BFGS) lowers f */
  {
    Vec g;
    PetscCall(VecDuplicate(l0, &g));
    PetscCall(HGProblemComputeExactHypergradient(prob, l0, g, &f0));
    PetscCall(VecCopy(l0, b));
    PetscCall(RunOuter(prob, HGOUTERTAO, eta, 30, PETSC_TRUE, 0, b, &tl[0], &ta[0]));
    PetscCall(HGProblemComputeExactHypergradient(prob, b, g, &f1));
    HGTEST_CHECK(f1 < 0.5 * f0, "tao outer: f went from %g to %g", (double)f0, (double)f1);
    PetscCall(VecDestroy(&g));
  }
  PetscCall(VecDestroy(&l0));
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
