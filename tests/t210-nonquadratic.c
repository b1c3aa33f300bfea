static const char help[] = "t210: logistic regression (non-quadratic lower level): truth from a converged solve\n"
                           "(heavy ball to rounding level, then CG to rounding level); the Figure 1 ordering\n"
                           "CG <= FP < ITD averaged over 10 values of lambda, with the strict gap ITD vs FP.\n";
#include "hgtest.h"

static PetscErrorCode Truth(HGProblem prob, Vec lambda, Vec g)
{
  HG      hg;
  HGInfo  info;
  HGLower lower;

  PetscFunctionBegin;
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERHEAVYBALL, KSPCG, 20000, 2000, &hg));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetTolerances(lower, 1e-15, 0.0, 1e8));
  PetscCall(PetscOptionsSetValue(NULL, "-hg_adjoint_rtol", "1e-15"));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(PetscOptionsClearValue(NULL, "-hg_adjoint_rtol"));
  PetscCall(HGComputeHypergradient(hg, lambda, g));
  PetscCall(HGGetInfo(hg, &info));
  HGTEST_CHECK(info.reason > 0 && info.lower_residual < 1e-10 && info.adjoint_residual < 1e-10, "the reference solve did not converge: lower residual %g, adjoint residual %g", (double)info.lower_residual, (double)info.adjoint_residual);
  PetscCall(HGDestroy(&hg));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  Vec         lambda, lam0, truth, h;
  PetscReal   err, mean[3] = {0, 0, 0};
  const char *hgt[3] = {HGAID, HGAID, HGITD}, *ksp[3] = {KSPCG, KSPRICHARDSON, NULL};
  PetscInt    t = 30;
  PetscBool   verbose = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t", &t, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, HGPROBLEMLOGREG, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &lam0));
  PetscCall(VecDuplicate(lambda, &truth));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lam0));
  for (PetscInt s = 0; s < 10; s++) {
    PetscRandom rnd;
    PetscCall(PetscRandomCreate(PETSC_COMM_WORLD, &rnd));
    PetscCall(PetscRandomSetInterval(rnd, 0.75, 1.25));
    PetscCall(PetscRandomSetSeed(rnd, 7 + s));
    PetscCall(PetscRandomSeed(rnd));
    PetscCall(VecSetRandom(lambda, rnd));
    PetscCall(VecPointwiseMult(lambda, lambda, lam0));
    PetscCall(PetscRandomDestroy(&rnd));
    PetscCall(Truth(prob, lambda, truth));
    for (PetscInt m = 0; m < 3; m++) {
      HG hg;
      PetscCall(HGTestMethod(prob, hgt[m], HGLOWERGD, ksp[m], t, PETSC_DEFAULT, &hg));
      PetscCall(HGTestCompute(hg, lambda, h));
      PetscCall(HGTestRelDiff(h, truth, &err));
      mean[m] += err / 10;
      PetscCall(HGDestroy(&hg));
    }
  }
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "logreg, t = k = %" PetscInt_FMT ", mean relative error over 10 lambda: CG %.4e  FP %.4e  ITD %.4e\n", t, (double)mean[0], (double)mean[1], (double)mean[2]));
  HGTEST_CHECK(mean[0] <= mean[1], "mean CG error %g above mean FP error %g", (double)mean[0], (double)mean[1]);
  HGTEST_CHECK(mean[1] < mean[2] * (1 - 1e-3), "on a non-quadratic lower level FP (%g) should be strictly better than ITD (%g)", (double)mean[1], (double)mean[2]);
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&lam0));
  PetscCall(VecDestroy(&truth));
  PetscCall(VecDestroy(&h));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
