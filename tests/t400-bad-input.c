static const char help[] = "t400: bad input to the API gives a PETSc error naming the problem, or a negative reason.\n";
#include "hgtest.h"

/* EXPECT_ERROR (hgtest.h) runs a call with errors returned, not printed, and checks the code and the message */

static PetscErrorCode Gradient(HGProblem p, Vec w, Vec l, Vec g, void *ctx)
{
  return VecCopy(w, g);
}

int main(int argc, char **argv)
{
  HGProblem         prob, shell;
  HG                hg;
  HGLower           lower;
  HGInfo            info;
  Vec               lambda, h, wrong, w;
  HGConvergedReason reason;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMBIASREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, &w, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 20, PETSC_DEFAULT, &hg));

  /* wrong vector sizes */
  PetscCall(VecCreateMPI(PETSC_COMM_WORLD, PETSC_DECIDE, 7, &wrong));
  EXPECT_ERROR(HGComputeHypergradient(hg, wrong, h), PETSC_ERR_ARG_SIZ, "global size 7");
  EXPECT_ERROR(HGComputeHypergradient(hg, lambda, wrong), PETSC_ERR_ARG_SIZ, "HGProblemCreateVecs");
  EXPECT_ERROR(HGSetLowerInitialGuess(hg, wrong), PETSC_ERR_ARG_SIZ, "initial w");
  /* non-finite hyperparameters */
  PetscCall(VecSetValue(lambda, 0, PETSC_MAX_REAL * 10, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(lambda));
  PetscCall(VecAssemblyEnd(lambda));
  EXPECT_ERROR(HGComputeHypergradient(hg, lambda, h), PETSC_ERR_FP, "NaN or Inf");
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  /* options out of range */
  PetscCall(HGGetLower(hg, &lower));
  EXPECT_ERROR(HGLowerSetMomentum(lower, 1.5), PETSC_ERR_ARG_OUTOFRANGE, "momentum");
  EXPECT_ERROR(HGLowerSetStepSize(lower, -1.0), PETSC_ERR_ARG_OUTOFRANGE, "positive");
  EXPECT_ERROR(HGLowerSetMaxIterations(lower, -3), PETSC_ERR_ARG_OUTOFRANGE, ">= 1");
  EXPECT_ERROR(HGSetIterations(hg, 10, -5), PETSC_ERR_ARG_OUTOFRANGE, "adjoint iterations");
  /* t = 0 or k = 0 would give a hypergradient that goes nowhere, silently (issue 15) */
  EXPECT_ERROR(HGLowerSetMaxIterations(lower, 0), PETSC_ERR_ARG_OUTOFRANGE, "goes nowhere");
  EXPECT_ERROR(HGSetIterations(hg, 10, 0), PETSC_ERR_ARG_OUTOFRANGE, "goes nowhere");
  EXPECT_ERROR(HGProblemSetMapContraction(prob, 1.2), PETSC_ERR_ARG_OUTOFRANGE, "not a contraction");
  EXPECT_ERROR(HGProblemSetLowerConstants(prob, 1.0, 2.0), PETSC_ERR_ARG_OUTOFRANGE, "mu <= L");
  EXPECT_ERROR(HGSetType(hg, "newton"), PETSC_ERR_ARG_UNKNOWN_TYPE, "newton");
  EXPECT_ERROR(HGLowerSetType(lower, "adam"), PETSC_ERR_ARG_UNKNOWN_TYPE, "adam");

  /* a step that makes the lower iteration diverge: negative reason when asked for one (the
     default error is tested in t410), then the error again */
  PetscCall(HGLowerSetStepSize(lower, 50.0));
  PetscCall(HGSetIterations(hg, 200, PETSC_DEFAULT));
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_FALSE));
  PetscCall(HGComputeHypergradient(hg, lambda, h));
  PetscCall(HGGetConvergedReason(hg, &reason));
  PetscCall(HGGetInfo(hg, &info));
  HGTEST_CHECK(reason == HG_DIVERGED_LOWER, "a diverging lower iteration gave reason %s", HGConvergedReasons[reason]);
  HGTEST_CHECK(info.lower_reason == HG_LOWER_DIVERGED_DTOL || info.lower_reason == HG_LOWER_DIVERGED_NANORINF, "lower reason %s", HGLowerConvergedReasons[info.lower_reason]);
  HGTEST_CHECK(info.lower_its < 200, "divergence was not detected early (%" PetscInt_FMT " iterations)", info.lower_its);
  PetscCall(HGSetErrorIfNotConverged(hg, PETSC_TRUE));
  EXPECT_ERROR(HGComputeHypergradient(hg, lambda, h), PETSC_ERR_NOT_CONVERGED, "not a contraction");
  PetscCall(HGDestroy(&hg));

  /* ITD cannot differentiate a TAO solve: refused when set up, not deep in a solve */
  PetscCall(HGTestMethod(prob, HGITD, HGLOWERTAO, NULL, 20, PETSC_DEFAULT, &hg));
  EXPECT_ERROR(HGSetUp(hg), PETSC_ERR_SUP, "-lower_type gd or heavyball");
  PetscCall(HGDestroy(&hg));
  /* KSP of a method that has none */
  PetscCall(HGTestMethod(prob, HGIAD, HGLOWERGD, NULL, 20, PETSC_DEFAULT, &hg));
  {
    KSP ksp;
    EXPECT_ERROR(HGGetKSP(hg, &ksp), PETSC_ERR_ARG_WRONGSTATE, "aid");
  }
  PetscCall(HGDestroy(&hg));

  /* missing callbacks */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &shell));
  EXPECT_ERROR(HGProblemSetUp(shell), PETSC_ERR_ORDER, "HGProblemSetVecTemplates");
  PetscCall(HGProblemSetVecTemplates(shell, w, lambda));
  EXPECT_ERROR(HGProblemSetUp(shell), PETSC_ERR_ARG_WRONGSTATE, "HGProblemSetLowerGradient");
  PetscCall(HGProblemSetLowerGradient(shell, Gradient));
  /* without the Hessian and mixed products they are taken by differences: the upper level is what is missing */
  EXPECT_ERROR(HGProblemSetUp(shell), PETSC_ERR_ARG_WRONGSTATE, "HGProblemSetUpperGradient");
  PetscCall(HGProblemDestroy(&shell));
  /* a map without d_w Phi^T and not declared symmetric: d_w Phi^T cannot come from differences of Phi */
  PetscCall(HGProblemCreate(PETSC_COMM_WORLD, &shell));
  PetscCall(HGProblemSetVecTemplates(shell, w, lambda));
  PetscCall(HGProblemSetMap(shell, Gradient));
  EXPECT_ERROR(HGProblemSetUp(shell), PETSC_ERR_ARG_WRONGSTATE, "HGProblemSetSymmetric");
  PetscCall(HGProblemDestroy(&shell));

  PetscCall(VecDestroy(&wrong));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
