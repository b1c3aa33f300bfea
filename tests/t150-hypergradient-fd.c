static const char help[] = "t150: the whole hypergradient of a catalogue problem (-problem) against central differences of\n"
                           "f(lambda) = E(w(lambda), lambda) on the converged lower problem (HGTestHypergradient), at a\n"
                           "perturbed initial lambda: AID-CG with the lower level and the adjoint converged to 1e-13, and\n"
                           "ITD through t gradient steps with t large.\n"
                           "  -ndir <4> random directions  -step <1e-5>  -tol <1e-6>  -t_itd <3000>  -verbose\n"
                           "  -lambda_shift <0>: add this to every lambda_j after the perturbation (far from the initial lambda:\n"
                           "  the lower-level step must then follow the constants at the new lambda)\n";
#include "hgtest.h"


/* lambda <- lambda + u, u uniform in [-0.1, 0.1] (seeded): off the symmetric initial points (a
   constant theta, say); -lambda_shift then moves it further */
static PetscErrorCode Perturb(Vec lambda)
{
  PetscRandom rnd;
  Vec         u;

  PetscFunctionBegin;
  PetscCall(VecDuplicate(lambda, &u));
  PetscCall(PetscRandomCreate(PetscObjectComm((PetscObject)lambda), &rnd));
  PetscCall(PetscRandomSetInterval(rnd, -0.1, 0.1));
  PetscCall(PetscRandomSetSeed(rnd, 150));
  PetscCall(PetscRandomSeed(rnd));
  PetscCall(VecSetRandom(u, rnd));
  PetscCall(VecAXPY(lambda, 1.0, u));
  PetscCall(PetscRandomDestroy(&rnd));
  PetscCall(VecDestroy(&u));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  HGProblem   prob;
  HG          hg;
  HGLower     lower;
  HGInfo      info;
  Vec         lambda, h, h2;
  PetscViewer viewer;
  char        type[64] = HGPROBLEMQUADRATIC;
  PetscInt    ndir = 4, titd = 3000;
  PetscReal   step = 1e-5, tol = 1e-6, maxrel, rel, shift = 0;
  PetscBool   verbose = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-problem", type, sizeof(type), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-ndir", &ndir, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-t_itd", &titd, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-step", &step, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-tol", &tol, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verbose", &verbose, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lambda_shift", &shift, NULL));
  if (verbose) viewer = PETSC_VIEWER_STDOUT_WORLD;
  else PetscCall(PetscViewerASCIIOpen(PETSC_COMM_WORLD, "/dev/null", &viewer));
  PetscCall(HGTestProblem(PETSC_COMM_WORLD, type, &prob));
  PetscCall(HGProblemCreateVecs(prob, NULL, &lambda));
  PetscCall(VecDuplicate(lambda, &h));
  PetscCall(VecDuplicate(lambda, &h2));
  PetscCall(HGProblemGetInitialHyperparameters(prob, lambda));
  PetscCall(Perturb(lambda));
  PetscCall(VecShift(lambda, shift));
  PetscCall(HGProblemProject(prob, lambda));

  /* AID-CG on the converged lower problem */
  PetscCall(HGTestMethod(prob, HGAID, HGLOWERGD, KSPCG, 200000, 5000, &hg));
  PetscCall(HGGetLower(hg, &lower));
  PetscCall(HGLowerSetTolerances(lower, 1e-13, 0.0, 1e8));
  PetscCall(PetscOptionsSetValue(NULL, "-hg_adjoint_rtol", "1e-13"));
  PetscCall(HGSetFromOptions(hg));
  PetscCall(PetscOptionsClearValue(NULL, "-hg_adjoint_rtol"));
  PetscCall(HGTestCompute(hg, lambda, h));
  PetscCall(HGGetInfo(hg, &info));
  if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: AID-CG with t = %" PetscInt_FMT ", k = %" PetscInt_FMT ", lower residual %.2e, adjoint residual %.2e\n", type, info.lower_its, info.adjoint_its, (double)info.lower_residual, (double)info.adjoint_residual));
  PetscCall(HGTestHypergradient(hg, lambda, h, ndir, step, viewer, &maxrel));
  HGTEST_CHECK(maxrel <= tol, "%s: the AID-CG hypergradient differs from finite differences of f by %g relative (> %g); rerun with -verbose", type, (double)maxrel, (double)tol);
  PetscCall(HGDestroy(&hg));

  /* ITD through t gradient steps: the same hypergradient once the iterates have converged */
  if (titd > 0) {
    PetscCall(HGTestMethod(prob, HGITD, HGLOWERGD, NULL, titd, PETSC_DEFAULT, &hg));
    PetscCall(HGTestCompute(hg, lambda, h2));
    PetscCall(HGTestRelDiff(h2, h, &rel));
    if (verbose) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: ITD with t = %" PetscInt_FMT " against AID-CG: %.2e relative\n", type, titd, (double)rel));
    HGTEST_CHECK(rel <= 1e-8, "%s: ITD with t = %" PetscInt_FMT " differs from the converged AID-CG hypergradient by %g relative (> 1e-8)", type, titd, (double)rel);
    PetscCall(HGDestroy(&hg));
  }

  if (!verbose) PetscCall(PetscViewerDestroy(&viewer));
  PetscCall(VecDestroy(&lambda));
  PetscCall(VecDestroy(&h));
  PetscCall(VecDestroy(&h2));
  PetscCall(HGProblemDestroy(&prob));
  PetscCall(PetscFinalize());
  return 0;
}
